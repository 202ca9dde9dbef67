using Builder.Frontend.Conversion;
using Builder.Solver.Definition;
using static Builder.Frontend.Tests.Conversion.ConversionHarness;

namespace Builder.Frontend.Tests.Conversion;

public sealed class CopyAndRunTests
{
    [Fact]
    public void CopyFromContextResolvesDestinationAgainstWorkdir()
    {
        var result = Convert("FROM busybox\nWORKDIR /app\nCOPY a.txt b/\nCOPY ./c.txt d.txt\nCOPY e /\nCOPY f .\n");
        var copies = result.Actions<CopyAction>();
        Assert.Equal(["/a.txt", "/c.txt", "/e", "/f"], copies.Select(c => c.Source));
        Assert.Equal(["/app/b/", "/app/d.txt", "/", "/app/"], copies.Select(c => c.Destination));
        var context = result.Vertices().Single(v => v.Op is SourceOp { Source: SourceKind.Local });
        Assert.All(result.Vertices().Where(v => v.Op is FileOp f && f.Actions.OfType<CopyAction>().Any()),
            v => Assert.Equal(context.Digest, v.Inputs[1].Vertex.Digest));
    }

    [Fact]
    public void SeveralSourcesNeedADirectoryDestination()
    {
        var error = ConvertFails("FROM busybox\nCOPY a b /dest\n");
        Assert.Contains("destination must be a directory and end with a /", error.Message);
        Assert.Equal(2, Convert("FROM busybox\nCOPY a b /dest/\n").Actions<CopyAction>().Count);
    }

    [Fact]
    public void CopyFlagsAreCarried()
    {
        var result = Convert("FROM busybox\nARG U=app\nCOPY --chown=$U:staff --chmod=0640 --exclude=*.md --exclude=tmp --parents src/ /dst/\n");
        var copy = Assert.Single(result.Actions<CopyAction>());
        Assert.Equal(new Ownership("app", "staff"), copy.Owner);
        Assert.Equal("0640", copy.Chmod);
        Assert.Equal(["*.md", "tmp"], copy.Excludes);
        Assert.True(copy.Parents);
        Assert.False(copy.AttemptUnpack);
    }

    [Theory]
    [InlineData("COPY --chmod=999 a /a", "invalid mode")]
    [InlineData("COPY --chmod=u+q a /a", "invalid mode")]
    [InlineData("COPY --from a /a", "needs a value")]
    [InlineData("COPY --from=x --from=y a /a", "more than once")]
    [InlineData("COPY --fromm=x a /a", "did you mean --from?")]
    [InlineData("COPY --link=maybe a /a", "expects true or false")]
    [InlineData("COPY a", "requires at least two arguments")]
    [InlineData("COPY http://example.com/x /x", "use ADD for URLs")]
    [InlineData("ADD --checksum=sha256:abc a /a", "HTTP(S) sources")]
    [InlineData("ADD --from=x a /a", "unknown flag --from")]
    public void BadCopiesFail(string line, string fragment)
    {
        var error = ConvertFails("FROM busybox\n" + line + "\n");
        Assert.Contains(fragment, error.Message);
        Assert.Equal(2, error.StartLine);
    }

    [Fact]
    public void AddUnpacksLocalArchivesAndDownloadsUrls()
    {
        var result = Convert("FROM busybox\nADD app.tar.gz /opt/\nADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/files/tool.bin /usr/bin/\n");
        var copies = result.Actions<CopyAction>();
        Assert.True(copies[0].AttemptUnpack);
        var http = result.Vertices().Select(v => v.Op).OfType<SourceOp>().Single(s => s.Source == SourceKind.Http);
        Assert.Equal("https://example.com/files/tool.bin", http.Identifier);
        Assert.Equal("tool.bin", http.Attributes[SourceOp.Attr.Filename]);
        Assert.StartsWith("sha256:", http.Attributes[SourceOp.Attr.Checksum], StringComparison.Ordinal);
        Assert.Equal("/usr/bin/tool.bin", copies[1].Destination);
        Assert.False(copies[1].AttemptUnpack);
    }

    [Fact]
    public void AddGitSourcesKeepRefAndSubdir()
    {
        var result = Convert("FROM busybox\nADD --keep-git-dir=true https://example.com/repo.git#v1.0:docs /docs\n");
        var git = result.Vertices().Select(v => v.Op).OfType<SourceOp>().Single(s => s.Source == SourceKind.Git);
        Assert.Equal("https://example.com/repo.git", git.Identifier);
        Assert.Equal("v1.0", git.Attributes[SourceOp.Attr.GitRef]);
        Assert.Equal("docs", git.Attributes[SourceOp.Attr.GitSubdir]);
        Assert.Equal("true", git.Attributes[SourceOp.Attr.KeepGitDir]);
    }

    [Fact]
    public void CopyLinkStacksALayerWithAMergeOp()
    {
        var result = Convert("FROM busybox\nRUN echo base\nCOPY --link a /a\n");
        var root = result.Definition!.Root;
        Assert.IsType<MergeOp>(root.Op);
        Assert.IsType<ExecOp>(root.Inputs[0].Vertex.Op);
        var copy = Assert.IsType<FileOp>(root.Inputs[1].Vertex.Op);
        Assert.False(copy.HasBase);
    }

    [Fact]
    public void CopyHeredocWritesFiles()
    {
        var result = Convert("FROM busybox\nCOPY <<EOF /etc/motd\nhello\nEOF\nCOPY <<one <<two /dir/\n1\none\n2\ntwo\n");
        var files = result.Actions<MkfileAction>();
        Assert.Equal(["/etc/motd", "/dir/one", "/dir/two"], files.Select(f => f.Path));
        Assert.Equal(["hello\n", "1\n", "2\n"], files.Select(f => f.Content));
    }

    [Fact]
    public void RunHeredocRunsTheBodyThroughTheShell()
    {
        var result = Convert("FROM busybox\nRUN <<EOF\necho one\necho two\nEOF\n");
        Assert.Equal(["/bin/sh", "-c", "echo one\necho two\n"], Assert.Single(result.Execs()).Args);
    }

    [Fact]
    public void RunHeredocWithShebangIsExecutedAsAFile()
    {
        var result = Convert("FROM busybox\nRUN <<EOF\n#!/usr/bin/env python3\nprint('hi')\nEOF\n");
        var exec = Assert.Single(result.Execs());
        Assert.Equal(["/dev/pipes/EOF"], exec.Args);
        var script = Assert.Single(result.Actions<MkfileAction>());
        Assert.Equal("/EOF", script.Path);
        Assert.StartsWith("#!/usr/bin/env python3", script.Content, StringComparison.Ordinal);
        Assert.Contains(exec.Mounts, m => m.Target == "/dev/pipes" && m.ReadOnly);
    }

    [Fact]
    public void RunHeredocAsStdinKeepsTheShellScript()
    {
        var result = Convert("FROM busybox\nRUN cat <<EOF > /out\ncontent\nEOF\n");
        Assert.Equal("cat <<EOF > /out\ncontent\nEOF", Assert.Single(result.Execs()).Args[^1]);
    }

    [Fact]
    public void RunMountsAreParsed()
    {
        var result = Convert("""
            FROM busybox AS deps
            RUN echo deps
            FROM busybox
            ARG CACHE=gocache
            RUN --mount=type=cache,id=$CACHE,target=/root/.cache,sharing=locked \
                --mount=type=bind,from=deps,source=/out,target=/deps \
                --mount=type=secret,id=token,required \
                --mount=type=secret,id=env-secret,env=TOKEN \
                --mount=type=tmpfs,target=/tmp,size=64m \
                --mount=type=ssh \
                --network=none --security=insecure \
                make
            """);
        var exec = result.Exec("make");
        var mounts = exec.Mounts;
        Assert.Equal(new[] { "/", "/root/.cache", "/deps", "/run/secrets/token", "/tmp", "/run/buildkit/ssh_agent.0" }.Order(), mounts.Where(m => m.SecretEnv is null).Select(m => m.Target).Order());
        var cache = mounts.Single(m => m.Type == MountType.Cache);
        Assert.Equal(("gocache", CacheSharing.Locked, false), (cache.CacheId, cache.Sharing, cache.ReadOnly));
        var bind = mounts.Single(m => m.Target == "/deps");
        Assert.True(bind.ReadOnly);
        Assert.Equal("/out", bind.Source);
        var secret = mounts.Single(m => m.SecretId == "token");
        Assert.True(secret.Required);
        Assert.Equal(0x100, secret.Mode);
        Assert.Equal("TOKEN", mounts.Single(m => m.SecretId == "env-secret").SecretEnv);
        Assert.Equal(64L << 20, mounts.Single(m => m.Type == MountType.Tmpfs).TmpfsSize);
        Assert.Equal(NetworkMode.None, exec.Network);
        Assert.Equal(SecurityMode.Insecure, exec.Security);
    }

    [Theory]
    [InlineData("RUN --mount=type=weird,target=/x true", "unsupported mount type")]
    [InlineData("RUN --mount=type=cache true", "needs target=")]
    [InlineData("RUN --mount=type=cache,target=/x,sharing=sometimes true", "unsupported sharing")]
    [InlineData("RUN --mount=type=bind,target=/x,mode=abc true", "octal")]
    [InlineData("RUN --mount=target=/x,bogus=1 true", "unexpected key")]
    [InlineData("RUN --network=bridge true", "unsupported network mode")]
    [InlineData("RUN --security=root true", "unsupported security mode")]
    [InlineData("RUN", "requires at least one argument")]
    [InlineData("RUN [\"echo\", \"unterminated]", "malformed JSON")]
    public void BadRunsFail(string line, string fragment)
    {
        var error = ConvertFails("FROM busybox\n" + line + "\n");
        Assert.Contains(fragment, error.Message);
        Assert.Equal(2, error.StartLine);
    }

    [Fact]
    public void ShellSyntaxStartingWithABracketIsNotMistakenForJson()
    {
        var result = Convert("FROM busybox\nRUN [ -f /etc/passwd ] && echo yes\n");
        Assert.Equal("[ -f /etc/passwd ] && echo yes", Assert.Single(result.Execs()).Args[^1]);
    }

    [Fact]
    public void ContextExcludesAreAttachedToTheContextSource()
    {
        var result = Convert("FROM busybox\nCOPY . /src\n", new ConvertOptions { ContextExcludes = ["*.log", "!keep.log"] });
        var context = result.Vertices().Select(v => v.Op).OfType<SourceOp>().Single(s => s.Source == SourceKind.Local);
        Assert.Equal("*.log\n!keep.log", context.Attributes[SourceOp.Attr.Exclude]);
    }
}

public sealed class CopyHeredocExpansionTests
{
    [Fact]
    public void UnquotedHeredocIsExpandedKeepingQuotes()
    {
        var result = ConversionHarness.Convert("FROM busybox\nENV NAME=world\nCOPY <<EOF /greeting\necho \"hello $NAME\" 'x' \\$NAME\nEOF\n");
        Assert.Equal("echo \"hello world\" 'x' $NAME\n", Assert.Single(result.Actions<Builder.Solver.Definition.MkfileAction>()).Content);
    }

    [Fact]
    public void QuotedHeredocIsLiteral()
    {
        var result = ConversionHarness.Convert("FROM busybox\nENV NAME=world\nCOPY <<'EOF' /greeting\nhello $NAME\nEOF\n");
        Assert.Equal("hello $NAME\n", Assert.Single(result.Actions<Builder.Solver.Definition.MkfileAction>()).Content);
    }
}
