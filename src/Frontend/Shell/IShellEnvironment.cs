namespace Builder.Frontend.Shell;

/// <summary>Variables visible to word expansion.</summary>
public interface IShellEnvironment
{
    /// <summary>Looks a variable up; a set-but-empty variable returns true with "".</summary>
    bool TryGet(string name, out string value);
}
