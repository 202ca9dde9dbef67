using Builder.Frontend.Conversion;
using static Builder.Frontend.Tests.Conversion.ConversionHarness;

namespace Builder.Frontend.Tests.Conversion;

/// <summary>Each bad Dockerfile gets one DockerfileException that names the line and the cause.</summary>
public sealed class DockerfileErrorTests
{
    [Theory]
    [InlineData("FROM busybox\nRUNN echo", 2, "unknown instruction: RUNN (did you mean RUN?)")]
    [InlineData("FROM busybox\nCOPPY a b", 2, "did you mean COPY?")]
    [InlineData("FROM busybox\nFROBNICATE x", 2, "unknown instruction: FROBNICATE")]
    [InlineData("FROM busybox\nRUN --nope true", 2, "unknown flag --nope")]
    [InlineData("FROM busybox\nWORKDIR --x=1 /a", 2, "WORKDIR takes no flags")]
    [InlineData("FROM", 1, "FROM requires")]
    [InlineData("FROM a b", 1, "one or three arguments")]
    [InlineData("FROM a AS", 1, "FROM requires")]
    [InlineData("FROM a INTO b", 1, "one or three arguments")]
    [InlineData("FROM a AS 1bad", 1, "invalid name for build stage")]
    [InlineData("FROM busybox\nUSER", 2, "USER requires exactly one argument")]
    [InlineData("FROM busybox\nWORKDIR", 2, "WORKDIR requires exactly one argument")]
    [InlineData("FROM busybox\nEXPOSE", 2, "EXPOSE requires at least one argument")]
    [InlineData("FROM busybox\nSHELL /bin/bash -c", 2, "SHELL requires the arguments to be in JSON form")]
    [InlineData("FROM busybox\nCMD [\"a\", \"b\"", 2, "malformed JSON")]
    [InlineData("FROM busybox\nENTRYPOINT [\"a\" \"b\"]", 2, "malformed JSON")]
    [InlineData("FROM Busybox:latest", 1, "invalid image reference")]
    [InlineData("FROM busybox:bad:tag", 1, "invalid image reference")]
    [InlineData("FROM busybox@sha256:short", 1, "not a valid digest")]
    [InlineData("FROM busybox AS a\nFROM busybox AS a", 2, "duplicate stage name \"a\"")]
    [InlineData("RUN echo\nFROM busybox", 1, "comes before the first FROM")]
    [InlineData("ARG X\nFROM ${X}", 2, "the base image name is empty: ARG X has no value")]
    [InlineData("FROM ${UNDECLARED}", 1, "the base image name is empty")]
    [InlineData("FROM busybox\nVOLUME [\"\"]", 2, "can not be an empty string")]
    public void ErrorsNameTheLineAndTheCause(string dockerfile, int line, string fragment)
    {
        var error = ConvertFails(dockerfile + "\n");
        Assert.Contains(fragment, error.Message);
        Assert.Equal(line, error.StartLine);
    }

    [Fact]
    public void NoFromAtAll()
    {
        var error = ConvertFails("ARG A=1\n");
        Assert.Contains("no FROM instruction", error.Message);
    }

    [Fact]
    public void EmptyDockerfile()
    {
        Assert.Throws<DockerfileException>(() => Convert("# only a comment\n"));
    }

    [Fact]
    public void MultiLineInstructionsReportTheirWholeSpan()
    {
        var error = ConvertFails("FROM busybox\nRUN --bogus \\\n  echo \\\n  done\n");
        Assert.Equal((2, 4), (error.StartLine, error.EndLine));
    }

    [Fact]
    public void ErrorsInUnbuiltStagesStillFail()
    {
        // Syntax errors anywhere in the file are reported, even in stages the target does not need.
        var error = ConvertFails("FROM busybox AS unused\nRUNN x\nFROM busybox\n", new ConvertOptions());
        Assert.Equal(2, error.StartLine);
    }
}
