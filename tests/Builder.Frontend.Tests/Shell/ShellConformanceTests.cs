using Builder.Frontend.Shell;
using Builder.TestSupport;

namespace Builder.Frontend.Tests.Shell;

/// <summary>BuildKit's own shell test vectors (conformance/shell), one theory case per row.</summary>
public sealed class ShellConformanceTests
{
    private const string EnvVarTestFile = "conformance/shell/envVarTest";
    private const string WordsTestFile = "conformance/shell/wordsTest";

    private static readonly ShellEnvironment EnvVarTestEnvironment =
        ShellEnvironment.FromEntries(["PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL="]);

    /// <summary>Rows of envVarTest for all platforms and Unix: (line, input, expected).</summary>
    public static TheoryData<int, string, string> EnvVarRows()
    {
        var rows = new TheoryData<int, string, string>();
        var path = SharedData.TryFind(EnvVarTestFile);
        if (path is null)
        {
            rows.Add(0, "", ""); // line 0: the data is missing; the test skips through SharedData.Require
            return rows;
        }
        var lineNumber = 0;
        foreach (var rawLine in File.ReadLines(path))
        {
            lineNumber++;
            if (rawLine.StartsWith('#'))
            {
                continue;
            }
            var line = rawLine.Trim();
            if (line.Length == 0)
            {
                continue;
            }
            var fields = line.Split('|');
            if (fields.Length != 3)
            {
                throw new InvalidDataException($"{EnvVarTestFile}:{lineNumber}: expected PLATFORM|input|expected");
            }
            var platform = fields[0].Trim();
            if (platform is "A" or "U")
            {
                rows.Add(lineNumber, fields[1].Trim(), fields[2].Trim());
            }
            else if (platform != "W")
            {
                throw new InvalidDataException($"{EnvVarTestFile}:{lineNumber}: unknown platform '{platform}'");
            }
        }
        return rows;
    }

    /// <summary>Cases of wordsTest: (line, environment so far as NAME=value entries, input, expected words joined by ',').</summary>
    public static TheoryData<int, string[], string, string> WordsRows()
    {
        var rows = new TheoryData<int, string[], string, string>();
        var path = SharedData.TryFind(WordsTestFile);
        if (path is null)
        {
            rows.Add(0, [], "", "");
            return rows;
        }
        var env = new List<string>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.StartsWith('#'))
            {
                continue;
            }
            if (line.StartsWith("ENV ", StringComparison.Ordinal))
            {
                env.Add(line[3..].TrimStart(' ')); // trailing spaces are part of the value
                continue;
            }
            var fields = line.Split('|');
            if (fields.Length != 2)
            {
                throw new InvalidDataException($"{WordsTestFile}:{lineNumber}: expected exactly one '|'");
            }
            rows.Add(lineNumber, [.. env], fields[0].Trim(), fields[1].TrimStart(' '));
        }
        return rows;
    }

    [Theory]
    [MemberData(nameof(EnvVarRows))]
    public void EnvVarTest(int line, string input, string expected)
    {
        if (line == 0)
        {
            SharedData.Require(EnvVarTestFile);
        }
        var lex = new ShellLex('\\');
        if (expected == "error")
        {
            Assert.Throws<ShellExpansionException>(() => lex.ProcessWord(input, EnvVarTestEnvironment));
            return;
        }
        Assert.Equal(expected, lex.ProcessWord(input, EnvVarTestEnvironment).Result);
    }

    [Theory]
    [MemberData(nameof(WordsRows))]
    public void WordsTest(int line, string[] env, string input, string expected)
    {
        if (line == 0)
        {
            SharedData.Require(WordsTestFile);
        }
        var lex = new ShellLex('\\');
        var environment = ShellEnvironment.FromEntries(env);
        if (expected == "error")
        {
            Assert.Throws<ShellExpansionException>(() => lex.ProcessWords(input, environment));
            return;
        }
        Assert.Equal(expected.Split(','), lex.ProcessWords(input, environment));
    }
}
