using Builder.Engine.Tests.Support;
using Builder.Engine.Wire;

namespace Builder.Engine.Tests;

/// <summary>USER resolution rules (runc libcontainer/user, as Docker and BuildKit use them), without containers.</summary>
public sealed class UserResolverTests
{
    [Theory]
    [InlineData("", 0u, 0u, new uint[0], "/root")]
    [InlineData("root", 0u, 0u, new uint[0], "/root")]
    [InlineData("alice", 1000u, 1000u, new uint[] { 50, 100 }, "/home/alice")]
    [InlineData("1000", 1000u, 1000u, new uint[] { 50, 100 }, "/home/alice")]
    [InlineData("alice:users", 1000u, 100u, new uint[0], "/home/alice")]
    [InlineData("alice:4242", 1000u, 4242u, new uint[0], "/home/alice")]
    [InlineData("5555", 5555u, 0u, new uint[0], "/")]
    [InlineData("5555:users", 5555u, 100u, new uint[0], "/")]
    [InlineData("bob", 1001u, 1001u, new uint[] { 100 }, "/home/bob")]
    public void Resolves_like_docker(string user, uint uid, uint gid, uint[] groups, string home)
    {
        var resolved = UserResolver.Resolve(user, BusyboxRootfs.Passwd, BusyboxRootfs.Group);
        Assert.Equal(uid, resolved.Uid);
        Assert.Equal(gid, resolved.Gid);
        Assert.Equal(groups, resolved.AdditionalGids);
        Assert.Equal(home, resolved.Home);
    }

    [Fact]
    public void Numeric_ids_work_without_passwd_and_group_files()
    {
        var resolved = UserResolver.Resolve("12:34", null, null);
        Assert.Equal((12u, 34u, "/"), (resolved.Uid, resolved.Gid, resolved.Home));
        Assert.Equal(0u, UserResolver.Resolve("", null, null).Uid);
    }

    [Theory]
    [InlineData("mallory", "unable to find user mallory")]
    [InlineData("alice:wheel", "unable to find group wheel")]
    [InlineData("1000:wheel", "unable to find group wheel")]
    public void Unknown_names_are_clear_errors(string user, string message)
    {
        var error = Assert.Throws<UnknownUserException>(() => UserResolver.Resolve(user, BusyboxRootfs.Passwd, BusyboxRootfs.Group));
        Assert.Contains(message, error.Message);
    }
}
