namespace Builder.Frontend.Shell;

/// <summary>The result of expanding one word.</summary>
/// <param name="Result">The expanded text.</param>
/// <param name="Matched">Names of variables that were referenced and set.</param>
/// <param name="Unmatched">Names of variables that were referenced but not set.</param>
public sealed record ShellWordResult(string Result, IReadOnlySet<string> Matched, IReadOnlySet<string> Unmatched);

/// <summary>The result of expanding a word and splitting it into fields.</summary>
/// <param name="Words">The fields, in order; quoted text keeps its spaces, empty fields are dropped.</param>
/// <param name="Matched">Names of variables that were referenced and set.</param>
/// <param name="Unmatched">Names of variables that were referenced but not set.</param>
public sealed record ShellWordsResult(IReadOnlyList<string> Words, IReadOnlySet<string> Matched, IReadOnlySet<string> Unmatched);
