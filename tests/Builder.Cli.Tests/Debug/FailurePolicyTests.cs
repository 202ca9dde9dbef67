using Builder.Cli.Debug;

namespace Builder.Cli.Tests.Debug;

public sealed class FailurePolicyTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("24h", 86400)]
    [InlineData("7d", 604800)]
    [InlineData("0.5s", 0.5)]
    public void ParseDuration_AcceptsSecondsMinutesHoursDays(string text, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), FailurePolicy.ParseDuration(text, "--keep-failed-for " + text));

    [Theory]
    [InlineData("")]
    [InlineData("24")]
    [InlineData("0h")]
    [InlineData("-1h")]
    [InlineData("1w")]
    public void ParseDuration_RejectsOthersNamingTheOption(string text)
    {
        var e = Assert.Throws<UsageException>(() => FailurePolicy.ParseDuration(text, "--keep-failed-for " + text));
        Assert.Equal($"--keep-failed-for {text}: expected a positive duration such as 90s, 30m, 24h or 7d", e.Message);
    }

    [Fact]
    public void Parse_DefaultsToKeepFor24Hours()
    {
        var policy = FailurePolicy.Parse(null, null);
        Assert.Equal(FailureMode.Keep, policy.Mode);
        Assert.True(policy.Keep);
        Assert.Equal(TimeSpan.FromHours(24), policy.KeepFor);
    }

    [Fact]
    public void Parse_DiscardKeepsNothing_AndAnUnknownModeIsAUsageError()
    {
        Assert.False(FailurePolicy.Parse("discard", "1h").Keep);
        Assert.True(FailurePolicy.Parse("shell", "1h").Keep);
        var e = Assert.Throws<UsageException>(() => FailurePolicy.Parse("later", null));
        Assert.Equal("--on-failure later: expected keep, discard or shell", e.Message);
    }
}
