using System.CommandLine;
using Builder.Cli.Store;

namespace Builder.Cli.Commands;

/// <summary><c>builder tag SOURCE TARGET</c>: gives a stored image another name.</summary>
internal static class TagCommand
{
    public static Command Create(CliContext cli)
    {
        var source = new Argument<string>("SOURCE") { Description = "Image name, id or digest" };
        var target = new Argument<string>("TARGET") { Description = "New name: [REGISTRY/]REPOSITORY[:TAG]" };
        var command = new Command("tag", "Give an image in the local store another name") { source, target };
        command.SetAction((result, _) => StoreCommand.RunAsync(cli, () =>
        {
            var name = StoreCommand.ParseReference(result.GetValue(target)!);
            if (name.Digest is not null)
            {
                throw new FormatException($"'{result.GetValue(target)}': a tag cannot contain a digest");
            }
            using var session = StoreSession.Open(result);
            var image = session.Images.Require(result.GetValue(source)!);
            session.Images.Tag(image, name);
            return Task.FromResult(ExitCodes.Success);
        }));
        return command;
    }
}
