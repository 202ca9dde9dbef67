using System.Text;
using Builder.Frontend.Conversion;
using Builder.Frontend.Parser;

namespace Builder.Frontend.Tests.Conversion;

/// <summary>
/// Random Dockerfiles built from real instruction shapes, mutated, must either convert or fail with
/// <see cref="DockerfileException"/>: never another exception, never a hang. Seeded, so failures reproduce.
/// </summary>
public sealed class ConversionFuzzTests
{
    private const int Iterations = 3000;

    private static readonly string[] Lines =
    [
        "FROM busybox", "FROM busybox AS a", "FROM a AS b", "FROM scratch", "FROM ${BASE}", "FROM --platform=$BUILDPLATFORM busybox AS c",
        "FROM b", "FROM Busybox", "FROM x:y:z", "ARG BASE=busybox", "ARG BASE", "ARG V=$BASE", "ARG TARGETARCH",
        "ENV A=1 B=$A", "ENV A", "ENV =x", "LABEL a=b", "LABEL \"\"=x", "WORKDIR $A", "WORKDIR ../..", "WORKDIR",
        "USER app", "USER ${U:?unset}", "EXPOSE 80/tcp 1-3", "EXPOSE 99999", "EXPOSE $P", "VOLUME [\"/v\"]", "VOLUME [\"\"]",
        "STOPSIGNAL SIGTERM", "STOPSIGNAL 0", "HEALTHCHECK NONE", "HEALTHCHECK --interval=1x CMD true", "HEALTHCHECK CMD [\"a\"]",
        "SHELL [\"/bin/sh\", \"-c\"]", "SHELL sh", "CMD echo", "CMD [\"a\"", "ENTRYPOINT [\"e\"]", "ONBUILD RUN echo",
        "ONBUILD ONBUILD x", "MAINTAINER me", "RUN echo $A", "RUN [\"a\", 1]", "RUN --mount=type=cache,target=/c true",
        "RUN --mount=type=bind,from=a,target=/x true", "RUN --mount=type=secret,id=s true", "RUN --mount=type=nope true",
        "RUN --mount=type=tmpfs,target=/t,size=1q true", "RUN --network=host true", "RUN --network=x true",
        "COPY . .", "COPY a b c", "COPY a b c/", "COPY --from=a / /", "COPY --from=0 / /", "COPY --from=9 / /",
        "COPY --from=b / /", "COPY --from=bb / /", "COPY --chown=1:1 --chmod=755 a /a", "COPY --chmod=9 a b",
        "COPY --link a /", "COPY --exclude=*.x --parents a/ /b/", "ADD http://h/f /", "ADD https://h/r.git#main:d /d",
        "ADD --checksum=sha256:00 a b", "COPY <<EOF /f\nx $A\nEOF", "RUN <<EOF\necho\nEOF", "RUN <<EOF\n#!/bin/sh\nEOF",
        "BOGUS x", "RUNN x", "COPY --from= a b", "COPY --from=$NOPE a b",
    ];

    [Fact]
    public async Task RandomDockerfilesOnlyFailWithDockerfileException()
    {
        var random = new Random(4242);
        var converted = 0;
        var rejected = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var text = Generate(random);
            var options = new ConvertOptions
            {
                Target = random.Next(5) == 0 ? (random.Next(2) == 0 ? "a" : "zz") : null,
                BuildArgs = random.Next(3) == 0 ? new Dictionary<string, string> { ["BASE"] = random.Next(2) == 0 ? "" : "alpine", ["U"] = "u" } : new Dictionary<string, string>(),
            };
            try
            {
                var ast = DockerfileParser.Parse(text);
                var result = await DockerfileConverter.ConvertAsync(ast, options, TestContext.Current.CancellationToken);
                _ = result.Definition?.Root.Digest;
                converted++;
            }
            catch (DockerfileException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {i}: {e.GetType().Name}: {e.Message}\n--- input ---\n{text}\n--- stack ---\n{e.StackTrace}");
            }
        }
        // Both outcomes must be exercised, or the generator is not testing anything.
        Assert.True(converted > Iterations / 50, $"only {converted} inputs converted");
        Assert.True(rejected > Iterations / 20, $"only {rejected} inputs were rejected");
    }

    private static string Generate(Random random)
    {
        var sb = new StringBuilder();
        var count = random.Next(1, 8);
        if (random.Next(3) > 0)
        {
            sb.Append("FROM busybox AS a\n");
        }
        for (var i = 0; i < count; i++)
        {
            var line = Lines[random.Next(Lines.Length)];
            if (random.Next(8) == 0)
            {
                line = Mutate(random, line);
            }
            sb.Append(line).Append('\n');
        }
        return sb.ToString();
    }

    private static string Mutate(Random random, string line)
    {
        var chars = new StringBuilder(line);
        var edits = random.Next(1, 4);
        const string alphabet = "$\\{}[]\"'=:-/ \n#<`";
        for (var e = 0; e < edits && chars.Length > 0; e++)
        {
            var at = random.Next(chars.Length);
            switch (random.Next(3))
            {
                case 0:
                    chars.Remove(at, 1);
                    break;
                case 1:
                    chars.Insert(at, alphabet[random.Next(alphabet.Length)]);
                    break;
                default:
                    chars[at] = alphabet[random.Next(alphabet.Length)];
                    break;
            }
        }
        return chars.ToString();
    }
}
