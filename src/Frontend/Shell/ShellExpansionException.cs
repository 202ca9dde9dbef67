namespace Builder.Frontend.Shell;

/// <summary>Thrown when a word cannot be expanded, e.g. <c>${V:?msg}</c> with V unset or a bad substitution.</summary>
public sealed class ShellExpansionException(string message) : Exception(message);
