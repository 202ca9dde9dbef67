using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Builder.Corpus.Tests.Checking;
using Builder.Corpus.Tests.Running;
using Builder.Corpus.Tests.Trees;

namespace Builder.Corpus.Tests;

/// <summary>
/// The runner's own pieces, on inputs made here: a checker that could not fail would make the
/// whole corpus pass for nothing.
/// </summary>
public sealed class RunnerSelfTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("corpus-self-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Layers_apply_whiteouts_opaque_directories_type_changes_and_hardlinks()
    {
        var lower = Layer("lower.tar", w =>
        {
            Dir(w, "data/");
            File(w, "data/a.txt", "a");
            File(w, "data/b.txt", "b");
            Dir(w, "keep/");
            File(w, "keep/old.txt", "old");
            File(w, "x", "file");
        });
        var upper = Layer("upper.tar.gz", w =>
        {
            File(w, "data/.wh.a.txt", "");
            Dir(w, "keep/");
            File(w, "keep/.wh..wh..opq", "");
            File(w, "keep/new.txt", "new");
            Dir(w, "x/");
            File(w, "x/in", "in");
            w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "data/b-link") { LinkName = "data/b.txt" });
        }, gzip: true);
        var tree = LayerApplier.Apply([lower, upper]);
        Assert.Null(tree.Get("/data/a.txt"));
        Assert.NotNull(tree.Get("/data/b.txt"));
        Assert.Null(tree.Get("/keep/old.txt"));
        Assert.Equal("new".Length, tree.Get("/keep/new.txt")!.Size);
        Assert.Equal(EntryType.Dir, tree.Get("/x")!.Type);
        Assert.Equal(["/data/b.txt"], tree.Partners("/data/b-link"));
    }

    [Fact]
    public void Tree_comparison_reports_each_field_that_differs()
    {
        var a = new FsTree();
        var b = new FsTree();
        a.Set(new FsEntry("/f", EntryType.File, 0b110_100_100, 0, 0, 1, "aa", null, null));
        b.Set(new FsEntry("/f", EntryType.File, 0b111_101_101, 1, 0, 1, "bb", null, null));
        b.Set(new FsEntry("/extra", EntryType.Symlink, 0b111_111_111, 0, 0, 0, null, "t", null));
        var differences = TreeComparer.Compare(a, b, "A", "B");
        var f = Assert.Single(differences, d => d.Key == "/f");
        Assert.Contains("mode 0644 vs 0755", f.Message);
        Assert.Contains("owner 0:0 vs 1:0", f.Message);
        Assert.Contains("content", f.Message);
        Assert.Contains(differences, d => d.Key == "/extra" && d.Message.StartsWith("only in B", StringComparison.Ordinal));
    }

    [Fact]
    public void Secret_scanner_finds_a_value_in_plain_and_compressed_files_and_in_text()
    {
        const string secret = "self-test-secret-value-9d2";
        var plain = Path.Combine(_dir, "root", "metadata.db");
        Directory.CreateDirectory(Path.GetDirectoryName(plain)!);
        System.IO.File.WriteAllBytes(plain, [.. new byte[5000], .. Encoding.UTF8.GetBytes(secret), .. new byte[10]]);
        var blob = Path.Combine(_dir, "blobs", "layer");
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        using (var output = System.IO.File.Create(blob))
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes("prefix " + secret + " suffix"));
        }
        var clean = Path.Combine(_dir, "clean");
        Directory.CreateDirectory(clean);
        System.IO.File.WriteAllText(Path.Combine(clean, "f"), "nothing here");

        var hits = SecretScanner.Scan([secret], [Path.Combine(_dir, "root"), Path.Combine(_dir, "blobs"), clean], [("log", "x " + secret)]);
        Assert.Equal(3, hits.Count);
        Assert.Empty(SecretScanner.Scan([secret], [clean], [("log", "clean")]));
    }

    [Fact]
    public void Progress_log_tells_cached_steps_from_steps_that_ran()
    {
        var log = ProgressLog.Parse("""
            {"type":"vertex","name":"[internal] load build context","state":"done"}
            {"type":"vertex","name":"[stage-0 2/3] COPY a.txt /a","state":"running"}
            {"type":"vertex","name":"[stage-0 2/3] COPY a.txt /a","state":"cached"}
            {"type":"vertex","name":"[stage-0 3/3] RUN make","state":"done"}
            """);
        Assert.Equal(2, log.Steps.Count());
        Assert.Single(log.AllStepsCached());
        Assert.Empty(log.OnlyRan(["RUN make"]));
        Assert.Equal(2, log.OnlyRan(["COPY a.txt"]).Count);
    }

    [Fact]
    public void Config_check_treats_empty_forms_alike_and_env_objects_as_subsets()
    {
        var actual = System.Text.Json.Nodes.JsonNode.Parse("""{"Env":["PATH=/bin","A=1"],"Cmd":null,"Labels":{}}""")!.AsObject();
        var expected = System.Text.Json.Nodes.JsonNode.Parse("""{"Env":{"A":"1","B":null},"Cmd":[],"Volumes":null,"Labels":{"x":"y"}}""")!.AsObject();
        var differences = ConfigComparer.CheckExpected(expected, actual, "config");
        Assert.Equal(["config.Labels"], differences.Select(d => d.Key));
    }

    private string Layer(string name, Action<TarWriter> write, bool gzip = false)
    {
        var path = Path.Combine(_dir, name);
        using var file = System.IO.File.Create(path);
        using Stream stream = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax))
        {
            write(writer);
        }
        return path;
    }

    private static void Dir(TarWriter w, string name) =>
        w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)0b111_101_101 });

    private static void File(TarWriter w, string name, string content) =>
        w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = (UnixFileMode)0b110_100_100,
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
        });
}
