using Builder.Snapshotter.Paths;
using Builder.Snapshotter.Tests.Support;
using Builder.TestSupport;

namespace Builder.Snapshotter.Tests.Layers;

/// <summary>Every hostile tar of issue 4 is refused with a clear error, leaves no snapshot, and touches no host file.</summary>
public sealed class MaliciousLayerTests : IDisposable
{
    private readonly TempDataRoot _temp;
    private readonly string _outside;
    private readonly string _victim;

    public MaliciousLayerTests()
    {
        Capabilities.RequireRoot();
        _temp = new TempDataRoot(useOverlay: null);
        _outside = _temp.NewDir("outside");
        _victim = Path.Combine(_outside, "victim");
        File.WriteAllText(_victim, "safe");
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>Enough '..' to reach / from any snapshot directory, then the outside dir.</summary>
    private string Up => string.Concat(Enumerable.Repeat("../", 20)) + _outside.TrimStart('/');

    public static TheoryData<string, string> Cases => new()
    {
        { "dotdot", "points outside the root" },
        { "dotdot-inner", "points outside the root" },
        { "dot-symlink", "names the root itself but is not a directory" },
        { "slash-symlink", "names the root itself but is not a directory" },
        { "hardlink-outside", "points outside the root" },
        { "hardlink-through-abs-symlink", "goes through a symlink" },
        { "hardlink-through-rel-symlink", "goes through a symlink" },
        { "whiteout-escape", "points outside the root" },
        { "whiteout-dotdot-name", "which is not a name inside its directory" },
        { "symlink-loop", "too many levels of symbolic links" },
        { "symlink-loop-pair", "too many levels of symbolic links" },
    };

    private byte[] Build(string kind) => kind switch
    {
        "dotdot" => new TarBuilder().File(Up + "/victim", "pwned").Build(),
        "dotdot-inner" => new TarBuilder().Dir("a/").File("a/../../" + Up + "/victim", "pwned").Build(),
        "dot-symlink" => new TarBuilder().Symlink(".", _outside).File("victim", "pwned").Build(),
        "slash-symlink" => new TarBuilder().Symlink("/", _outside).File("victim", "pwned").Build(),
        "hardlink-outside" => new TarBuilder().Hardlink("h", Up + "/victim").Build(),
        "hardlink-through-abs-symlink" => new TarBuilder().Symlink("s", _outside).Hardlink("h", "s/victim").Build(),
        "hardlink-through-rel-symlink" => new TarBuilder().Symlink("s", Up).Hardlink("h", "s/victim").Build(),
        "whiteout-escape" => new TarBuilder().File(Up + "/.wh.victim").Build(),
        "whiteout-dotdot-name" => new TarBuilder().Dir("a/").File("a/.wh..").Build(),
        "symlink-loop" => new TarBuilder().Symlink("loop", "loop").File("loop/x", "x").Build(),
        "symlink-loop-pair" => new TarBuilder().Symlink("l1", "l2").Symlink("l2", "l1").File("l1/x", "x").Build(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Hostile_layer_is_rejected_and_nothing_outside_changes(string kind, string message)
    {
        var before = TreeDescription.Capture(_outside);
        var e = Assert.Throws<PathEscapeException>(() => _temp.Root.Layers.Apply(new MemoryStream(TarBuilder.Gzip(Build(kind))), null, "evil"));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal("safe", File.ReadAllText(_victim));
        Assert.Equal(before, TreeDescription.Capture(_outside));
        Assert.Empty(_temp.Root.Snapshots.Walk());
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(_temp.Root.Path, "snapshots")));
    }

    [Fact]
    public void Paths_through_symlinks_that_point_outside_stay_inside_the_root()
    {
        // Docker accepts these layers; what matters is where the bytes land: inside the snapshot.
        var tar = new TarBuilder()
            .Dir(_outside.TrimStart('/') + "/") // the same path exists inside the layer
            .Symlink("abs", _outside)
            .Symlink("rel", Up)
            .Symlink("slash", "/")
            .File("abs/victim", "inside-1")
            .File("rel/victim2", "inside-2")
            .File("slash/victim3", "inside-3")
            .Build();
        _temp.Root.Layers.Apply(new MemoryStream(tar), null, "contained");
        Assert.Equal("safe", File.ReadAllText(_victim));
        Assert.False(File.Exists(Path.Combine(_outside, "victim2")));
        var fs = _temp.Root.Snapshots.FsPath("contained");
        Assert.Equal("inside-1", File.ReadAllText(Path.Combine(fs, _outside.TrimStart('/'), "victim")));
        Assert.Equal("inside-2", File.ReadAllText(Path.Combine(fs, _outside.TrimStart('/'), "victim2")));
        Assert.Equal("inside-3", File.ReadAllText(Path.Combine(fs, "victim3")));
        // The symlinks themselves are kept as written.
        Assert.Equal(_outside, new FileInfo(Path.Combine(fs, "abs")).LinkTarget);
    }

    [Fact]
    public void A_layer_replacing_a_file_with_a_symlink_does_not_write_through_it()
    {
        var tar = new TarBuilder()
            .File("f", "one")
            .Symlink("f", _victim)
            .File("f", "two")
            .Build();
        _temp.Root.Layers.Apply(new MemoryStream(tar), null, "replace");
        Assert.Equal("safe", File.ReadAllText(_victim));
        Assert.Equal("two", File.ReadAllText(Path.Combine(_temp.Root.Snapshots.FsPath("replace"), "f")));
    }
}
