using System.Globalization;
using Builder.Engine.Interop;
using Builder.Engine.Wire;

namespace Builder.Engine.Native;

/// <summary>What the init helper reported on its status pipe (see <see cref="StatusProtocol"/>).</summary>
internal sealed record HelperStatus(StartFailure? Failure, int? ExitCode, int? Signal, IReadOnlyList<string> Stubs)
{
    public static HelperStatus Parse(string text)
    {
        StartFailure? failure = null;
        int? exit = null, signal = null;
        var stubs = new List<string>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', 3);
            switch (parts[0])
            {
                case StatusProtocol.Fail when parts.Length == 3 && failure is null:
                    failure = new StartFailure(Enum.TryParse<StartFailureKind>(parts[1], out var kind) ? kind : StartFailureKind.SetupFailed, parts[2]);
                    break;
                case StatusProtocol.Stub when parts.Length >= 2:
                    stubs.Add(line[(StatusProtocol.Stub.Length + 1)..]);
                    break;
                case StatusProtocol.Exit when exit is null && signal is null:
                    exit = int.Parse(parts[1], CultureInfo.InvariantCulture);
                    break;
                case StatusProtocol.Signal when exit is null && signal is null:
                    signal = int.Parse(parts[1], CultureInfo.InvariantCulture);
                    break;
            }
        }
        return new HelperStatus(failure, exit, signal, stubs);
    }

    /// <summary>The container's exit, or null when the helper reported nothing (it crashed).</summary>
    public ContainerExit? ToExit(bool oomKilled)
    {
        if (Failure is not null)
        {
            var code = Failure.Kind switch
            {
                StartFailureKind.CommandNotFound => 127,
                StartFailureKind.CommandNotExecutable => 126,
                _ => 125,
            };
            return new ContainerExit(code, Failure: Failure);
        }
        if (Signal is { } signal)
        {
            return new ContainerExit(128 + signal, signal, oomKilled && signal == LibC.SIGKILL);
        }
        return ExitCode is { } exit ? new ContainerExit(exit, OomKilled: false) : null;
    }
}
