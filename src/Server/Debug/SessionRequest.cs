using Builder.Engine;
using Builder.Oci.References;
using Builder.Server.Protocol.Debugging;
using Grpc.Core;

namespace Builder.Server.Debug;

/// <summary>
/// A debug session's start message, checked: the program, network, security mode, commit name, window
/// and secrets are valid (else InvalidArgument), and the server's entitlement rules allow the container
/// (else PermissionDenied) — the same rules as builds: <c>--network host</c> needs network.host and
/// <c>--security insecure</c> security.insecure, both allowed by the operator (<c>builder serve --allow</c>).
/// </summary>
internal sealed record SessionRequest
{
    private const int MaxSecrets = 100;

    public required SessionStart Start { get; init; }

    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>Null for a rerun with the step's own network.</summary>
    public NetworkMode? Network { get; init; }

    public ImageReference? Commit { get; init; }

    /// <summary><c>--security insecure</c>, already checked against the server's entitlements.</summary>
    public bool Privileged { get; init; }

    public TerminalSize? Terminal { get; init; }

    public IReadOnlyDictionary<string, byte[]> Secrets { get; init; } = new Dictionary<string, byte[]>();

    public static SessionRequest Check(SessionStart start, IReadOnlySet<string> serverAllows)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(serverAllows);
        var rerun = start.Kind == SessionKind.Rerun;
        if (start.Target is null || (start.Target.Id.Length == 0 && !start.Target.HasStep))
        {
            throw Invalid("give the id of a kept failed step (see builder debug ls), or --step N [BUILD]");
        }
        if (rerun && (start.Target.HasStep || start.Before || start.Command.Count > 0 || start.Commit.Length > 0 || start.Tty || start.Secrets.Count > 0))
        {
            throw Invalid("debug rerun takes a kept failed step's id and --network only");
        }
        if (start.Command.Any(a => a.Length == 0 || a.Contains('\0')) || start.Command.Count > 4096)
        {
            throw Invalid("--cmd: every argument must be a non-empty string without NUL");
        }
        NetworkMode? network = start.Network switch
        {
            "" when rerun => null,
            "" or "none" => NetworkMode.None,
            "default" => NetworkMode.Default,
            "host" => NetworkMode.Host,
            var other => throw Invalid($"--network {other}: expected none, default or host"),
        };
        var insecure = start.Security switch
        {
            "" or "sandbox" => false,
            "insecure" => true,
            var other => throw Invalid($"--security {other}: expected sandbox or insecure"),
        };
        ImageReference? commit = null;
        if (start.Commit.Length > 0 && !ImageReference.TryParse(start.Commit, out commit, out var error))
        {
            throw Invalid($"--commit {start.Commit}: {error}");
        }
        TerminalSize? terminal = null;
        if (start.Tty)
        {
            var columns = start.Window?.Columns ?? 0;
            var rows = start.Window?.Rows ?? 0;
            terminal = columns is > 0 and <= ushort.MaxValue && rows is > 0 and <= ushort.MaxValue ? new TerminalSize((ushort)columns, (ushort)rows) : new TerminalSize(80, 24);
        }
        if (start.Secrets.Count > MaxSecrets)
        {
            throw Invalid($"at most {MaxSecrets} secrets may be given to a debug shell");
        }
        var secrets = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var secret in start.Secrets)
        {
            if (secret.Id.Length is 0 or > 255 || secret.Id is "." or ".." || secret.Id.Contains('/') || secret.Id.Contains('\0'))
            {
                throw Invalid($"--secret id={secret.Id}: an id is 1 to 255 characters without '/' (it names /run/secrets/ID)");
            }
            if (!secrets.TryAdd(secret.Id, secret.Value.ToByteArray()))
            {
                throw Invalid($"--secret id={secret.Id} is given twice");
            }
        }

        // Entitlements: the operator decides; the client asks by giving the flag.
        if (network == NetworkMode.Host && !serverAllows.Contains("network.host"))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied,
                "--network host needs entitlement network.host, which this server does not allow (its operator must start it with `builder serve --allow network.host`)"));
        }
        if (insecure)
        {
            if (!serverAllows.Contains("security.insecure"))
            {
                throw new RpcException(new Status(StatusCode.PermissionDenied,
                    "--security insecure needs entitlement security.insecure, which this server does not allow (its operator must start it with `builder serve --allow security.insecure`)"));
            }
        }
        return new SessionRequest
        {
            Start = start,
            Command = start.Command.Count > 0 ? start.Command.ToArray() : ["/bin/sh"],
            Network = network,
            Commit = commit,
            Privileged = insecure,
            Terminal = terminal,
            Secrets = secrets,
        };
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
