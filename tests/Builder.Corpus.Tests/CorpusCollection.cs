namespace Builder.Corpus.Tests;

/// <summary>
/// The corpus and the differential test share one collection so that they do not run at the
/// same time: each starts many builds, and the machine has two cores.
/// </summary>
[CollectionDefinition(Name)]
public sealed class CorpusCollection
{
    public const string Name = "corpus";
}
