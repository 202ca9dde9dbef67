using Builder.Oci.Image;
using Builder.Oci.References;

namespace Builder.Oci.Tests;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("busybox", "docker.io/library/busybox:latest")]
    [InlineData("busybox:1.36", "docker.io/library/busybox:1.36")]
    [InlineData("library/busybox", "docker.io/library/busybox:latest")]
    [InlineData("user/app", "docker.io/user/app:latest")]
    [InlineData("index.docker.io/user/app:v1", "docker.io/user/app:v1")]
    [InlineData("localhost/app", "localhost/app:latest")]
    [InlineData("localhost:5000/busybox:latest", "localhost:5000/busybox:latest")]
    [InlineData("127.0.0.1:5000/a/b/c:tag", "127.0.0.1:5000/a/b/c:tag")]
    [InlineData("ghcr.io/org/repo", "ghcr.io/org/repo:latest")]
    [InlineData("[::1]:5000/app", "[::1]:5000/app:latest")]
    [InlineData("my-registry.example.com:443/team/app_name.x:1.0-rc", "my-registry.example.com:443/team/app_name.x:1.0-rc")]
    [InlineData("busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "docker.io/library/busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("busybox:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "docker.io/library/busybox:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void NormalizesLikeDocker(string text, string expected)
    {
        Assert.Equal(expected, ImageReference.Parse(text).ToString());
    }

    [Theory]
    [InlineData("docker.io/library/busybox:latest", "busybox:latest")]
    [InlineData("docker.io/user/app:v1", "user/app:v1")]
    [InlineData("localhost:5000/x:1", "localhost:5000/x:1")]
    public void FamiliarForm(string text, string expected) => Assert.Equal(expected, ImageReference.Parse(text).ToFamiliarString());

    [Theory]
    [InlineData("", "empty")]
    [InlineData("Busybox", "lowercase")]
    [InlineData("busybox:bad:tag", "not a valid")]
    [InlineData("busybox:", "not a valid tag")]
    [InlineData("busybox@sha256:abc", "not a valid digest")]
    [InlineData("a//b", "empty path component")]
    [InlineData("-app", "not a valid repository path component")]
    [InlineData("app-", "not a valid repository path component")]
    [InlineData("bad_host:5000:x/app", "not a valid")]
    [InlineData(":tag", "empty")]
    public void RejectsInvalidReferencesWithAReason(string text, string fragment)
    {
        Assert.False(ImageReference.TryParse(text, out _, out var error));
        Assert.Contains(fragment, error);
        Assert.Throws<FormatException>(() => ImageReference.Parse(text));
    }

    [Fact]
    public void RejectsOverlongNames() =>
        Assert.Contains("longer than", Assert.Throws<FormatException>(() => ImageReference.Parse("a/" + new string('b', 300))).Message);
}

public sealed class PlatformTests
{
    [Theory]
    [InlineData("linux/amd64", "linux", "amd64", null)]
    [InlineData("linux/arm64/v8", "linux", "arm64", "v8")]
    [InlineData("Linux/x86_64", "linux", "amd64", null)]
    [InlineData("linux/aarch64", "linux", "arm64", null)]
    public void Parses(string text, string os, string arch, string? variant) =>
        Assert.Equal(new Platform(os, arch, variant), Platform.Parse(text));

    [Theory]
    [InlineData("linux")]
    [InlineData("linux/")]
    [InlineData("a/b/c/d")]
    public void RejectsMalformed(string text) => Assert.Throws<FormatException>(() => Platform.Parse(text));

    [Fact]
    public void HostIsLinux() => Assert.Equal("linux", Platform.Host.Os);
}
