namespace Builder.Engine.Tests.Support;

/// <summary>
/// Container tests run one at a time: they compare the host's mount table, process list and
/// cgroups before and after each test, which concurrent containers would disturb.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EngineCollection
{
    public const string Name = "engine containers";
}
