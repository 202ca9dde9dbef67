using System.Text;
using Builder.Frontend.Parser;
using Builder.TestSupport;

namespace Builder.Frontend.Tests.Parser;

/// <summary>
/// Random and mutated Dockerfiles must either parse or fail with <see cref="DockerfileException"/>;
/// any other exception (or a crash) is a bug. Seeded, so a failure reproduces.
/// </summary>
public sealed class ParserFuzzTests
{
    private const int Iterations = 4000;

    private static readonly string[] Fragments =
    [
        "<<", "<<-", "<<EOF", "<<'EOF'", "<<\"EOF\"", "EOF", "EOF\n", "\\", "\\\n", "`", "`\n", "[", "]", "[\"a\"]",
        "\"", "'", "--", "--x=", "--x", " -- ", "\n", "\r\n", "\r", "#", "# escape=`\n", "# escape=\\\n", "# syntax=x\n",
        "ONBUILD ", "ENV ", "LABEL ", "ARG ", "=", "$", "${", "${a:-", "}", " ", "\t", "HEALTHCHECK ", "CMD ", "RUN ",
        "COPY ", "ADD ", "FROM ", "{", "}", ",", ":", "null", "1e5", "\u00a0", "\uFEFF", "\0", "\\u", "\\ud800",
        "[[[[", "]]]]", "\"\\", "3<<", "<<  X", "\t\tEOF",
    ];

    private static readonly string[] Seeds =
    [
        "FROM a\nRUN echo hi\n",
        "# escape=`\nFROM a\nRUN dir `\n  c:\\\n",
        "FROM a\nCOPY <<X <<Y /d\nY\nX\nX\nY\n",
        "FROM a\nRUN <<-'EOF' sh\n\tbody $X\n\tEOF\n",
        "FROM a\nENV A=1 B=\"2 3\" \\\n  C=4\nLABEL a b c\n",
        "FROM a\nONBUILD RUN [\"x\", \"y\"]\nHEALTHCHECK --interval=1s CMD [\"c\"]\n",
        "FROM --platform=x a AS b\nCOPY --from=b -- a b\nCMD [\"a\", [\"b\"]]\n",
    ];

    [Fact]
    public void Random_and_mutated_inputs_only_throw_DockerfileException()
    {
        var random = new Random(20261127);
        var corpus = LoadCorpus();
        var parsed = 0;
        var rejected = 0;

        for (var i = 0; i < Iterations; i++)
        {
            var input = i % 4 == 0 ? RandomText(random) : Mutate(random, corpus[random.Next(corpus.Count)]);
            try
            {
                DockerfileParser.Parse(input);
                parsed++;
            }
            catch (DockerfileException)
            {
                rejected++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"iteration {i}: {ex.GetType().Name}: {ex.Message}\ninput: {GoStyle(input)}\n{ex.StackTrace}");
            }
        }

        // Both outcomes must actually occur, or the generator is not exercising the parser.
        Assert.True(parsed > Iterations / 10, $"only {parsed} inputs parsed");
        Assert.True(rejected > Iterations / 100, $"only {rejected} inputs were rejected");
    }

    private static List<string> LoadCorpus()
    {
        var corpus = new List<string>(Seeds);
        var root = SharedData.TryFind("conformance/dockerfile-parser");
        if (root is not null)
        {
            foreach (var file in Directory.EnumerateFiles(root, "Dockerfile", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                corpus.Add(File.ReadAllText(file));
            }
        }
        return corpus;
    }

    private static string RandomText(Random random)
    {
        var sb = new StringBuilder();
        var pieces = random.Next(1, 40);
        for (var i = 0; i < pieces; i++)
        {
            // Any UTF-16 unit, lone surrogates included, now and then.
            sb.Append(random.Next(5) == 0 ? ((char)random.Next(0, 0x10000)).ToString() : Fragments[random.Next(Fragments.Length)]);
        }
        return sb.ToString();
    }

    private static string Mutate(Random random, string text)
    {
        var sb = new StringBuilder(text);
        var edits = random.Next(1, 6);
        for (var e = 0; e < edits; e++)
        {
            var at = sb.Length == 0 ? 0 : random.Next(sb.Length + 1);
            switch (random.Next(5))
            {
                case 0:
                case 1:
                    sb.Insert(at, Fragments[random.Next(Fragments.Length)]);
                    break;
                case 2:
                    if (sb.Length > 0 && at < sb.Length)
                    {
                        sb.Remove(at, Math.Min(random.Next(1, 20), sb.Length - at));
                    }
                    break;
                case 3:
                    if (at < sb.Length)
                    {
                        sb[at] = (char)random.Next(0, 128);
                    }
                    break;
                default:
                    sb.Length = at; // truncate
                    break;
            }
        }
        return sb.ToString();
    }

    private static string GoStyle(string text) => new Node { Keyword = "input", Arguments = [text] }.Dump();
}
