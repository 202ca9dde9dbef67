namespace Builder.Corpus.Tests.Docker;

public sealed class KnownDeviationsTests
{
    [Fact]
    public void An_intermittent_key_matches_its_exact_path_only()
    {
        var row = new KnownDeviations.Row("mount-bind-from-stage", "/in.txt?", "a mount stub BuildKit leaves in some runs", 1);

        Assert.True(row.Intermittent);
        Assert.True(row.Matches("mount-bind-from-stage", "/in.txt"));
        Assert.False(row.Matches("mount-bind-from-stage", "/in.txt2"));
        Assert.False(row.Matches("mount-bind-context", "/in.txt"));
    }

    [Fact]
    public void Intermittent_rows_are_not_checked_for_staleness_but_exact_ones_are()
    {
        var deviations = KnownDeviations.Load();

        Assert.DoesNotContain(deviations.For("mount-bind-from-stage"), r => r.Key == "/in.txt?");
        Assert.Contains(deviations.For("mount-bind-context"), r => r.Key == "/ctx");
        Assert.NotNull(deviations.Find("mount-bind-from-stage", "/in.txt"));
    }
}
