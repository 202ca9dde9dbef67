namespace Builder.Frontend.Parser;

/// <summary>Writes the s-expression dump used by BuildKit's parser test vectors.</summary>
internal static class NodeDumper
{
    public static string Dump(Node node) => throw new NotImplementedException();
}
