using System.Text.Json;
using System.Text.RegularExpressions;
using Builder.Frontend.Parser;

namespace Builder.Frontend.Instructions;

/// <summary>
/// Turns parser nodes into typed, validated instructions: checks keywords, flags and argument
/// counts. Errors are <see cref="DockerfileException"/>s that carry the node's lines.
/// </summary>
public static partial class InstructionParser
{
    /// <summary>Every instruction keyword the Dockerfile reference defines, upper-case.</summary>
    public static IReadOnlyList<string> Keywords { get; } =
    [
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
        "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    ];

    /// <summary>Parses one top-level node.</summary>
    public static Instruction Parse(Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.Keyword switch
        {
            "from" => ParseFrom(node),
            "arg" => ParseArg(node),
            "env" => new EnvInstruction(Flagless(node), KeyValues(node, "ENV")),
            "label" => new LabelInstruction(Flagless(node), KeyValues(node, "LABEL")),
            "maintainer" => new MaintainerInstruction(Flagless(node), ExactlyOne(node, "MAINTAINER")),
            "run" => ParseRun(node),
            "cmd" => new CmdInstruction(Flagless(node), Command(node, "CMD", allowEmptyJson: true)),
            "entrypoint" => new EntrypointInstruction(Flagless(node), Command(node, "ENTRYPOINT", allowEmptyJson: true)),
            "copy" => ParseCopy(node, isAdd: false),
            "add" => ParseCopy(node, isAdd: true),
            "expose" => new ExposeInstruction(Flagless(node), AtLeastOne(node, "EXPOSE")),
            "volume" => new VolumeInstruction(Flagless(node), AtLeastOne(node, "VOLUME")),
            "user" => new UserInstruction(Flagless(node), ExactlyOne(node, "USER")),
            "workdir" => new WorkdirInstruction(Flagless(node), ExactlyOne(node, "WORKDIR")),
            "onbuild" => ParseOnbuild(node),
            "stopsignal" => new StopSignalInstruction(Flagless(node), ExactlyOne(node, "STOPSIGNAL")),
            "healthcheck" => ParseHealthcheck(node),
            "shell" => ParseShell(node),
            _ => throw UnknownInstruction(node),
        };
    }

    private static DockerfileException UnknownInstruction(Node node)
    {
        var word = node.Keyword.ToUpperInvariant();
        var hint = ClosestMatch.Find(word, Keywords);
        var message = $"unknown instruction: {word}" + (hint is null ? "" : $" (did you mean {hint}?)");
        return Error(node, message);
    }

    private static Instruction ParseFrom(Node node)
    {
        var flags = new InstructionFlags(node).String("platform").Parse();
        var args = node.Arguments;
        if (args.Count == 0)
        {
            throw Error(node, "FROM requires an image name: FROM <image> [AS <name>]");
        }
        if (args.Count == 2 || args.Count > 3 || (args.Count == 3 && !args[1].Equals("as", StringComparison.OrdinalIgnoreCase)))
        {
            throw Error(node, "FROM requires either one or three arguments: FROM <image> [AS <name>]");
        }
        string? stageName = null;
        if (args.Count == 3)
        {
            stageName = args[2].ToLowerInvariant();
            if (!StageNamePattern().IsMatch(stageName))
            {
                throw Error(node, $"invalid name for build stage: \"{args[2]}\": a name starts with a letter and holds only letters, digits, '-', '_' and '.'");
            }
        }
        return new FromInstruction(node, args[0], stageName, flags.GetString("platform"));
    }

    private static Instruction ParseArg(Node node)
    {
        Flagless(node);
        if (node.Arguments.Count == 0)
        {
            throw Error(node, "ARG requires at least one argument: ARG <name>[=<default>]");
        }
        var args = new List<KeyValue>();
        foreach (var word in node.Arguments)
        {
            var eq = word.IndexOf('=');
            var key = eq < 0 ? word : word[..eq];
            if (key.Length == 0)
            {
                throw Error(node, $"ARG: invalid argument '{word}': the name is empty");
            }
            args.Add(new KeyValue(key, eq < 0 ? null : word[(eq + 1)..]));
        }
        return new ArgInstruction(node, args);
    }

    private static RunInstruction ParseRun(Node node)
    {
        var flags = new InstructionFlags(node).List("mount").String("network").String("security").Parse();
        return new RunInstruction(node, Command(node, "RUN", allowEmptyJson: false), flags.GetList("mount"), flags.GetString("network"), flags.GetString("security"));
    }

    private static CopyInstruction ParseCopy(Node node, bool isAdd)
    {
        var keyword = isAdd ? "ADD" : "COPY";
        var flags = new InstructionFlags(node).String("chown").String("chmod").Bool("link").List("exclude");
        if (isAdd)
        {
            flags.String("checksum").Bool("keep-git-dir").Bool("unpack");
        }
        else
        {
            flags.String("from").Bool("parents");
        }
        flags.Parse();
        RejectMalformedJson(node, keyword);
        var args = node.Arguments;
        if (args.Count < 2)
        {
            throw Error(node, $"{keyword} requires at least two arguments, but only {args.Count} provided: {keyword} <src>... <dest>");
        }
        return new CopyInstruction(
            node,
            isAdd,
            args.Take(args.Count - 1).ToArray(),
            args[^1],
            flags.GetString("from"),
            flags.GetString("chown"),
            flags.GetString("chmod"),
            flags.GetBool("link") ?? false,
            flags.GetBool("parents") ?? false,
            flags.GetList("exclude"),
            flags.GetString("checksum"),
            flags.GetBool("keep-git-dir"),
            flags.GetBool("unpack"));
    }

    private static Instruction ParseOnbuild(Node node)
    {
        Flagless(node);
        if (node.Nested is not { } nested)
        {
            throw Error(node, "ONBUILD requires an instruction to run later: ONBUILD <INSTRUCTION>");
        }
        switch (nested.Keyword)
        {
            case "onbuild":
                throw Error(node, "chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
            case "from" or "maintainer":
                throw Error(node, $"{nested.Keyword.ToUpperInvariant()} isn't allowed as an ONBUILD trigger");
        }
        // Validate the trigger now so mistakes surface where they are written.
        Parse(nested);
        var original = node.Original.TrimStart();
        var expression = original.Length >= 7 && original.StartsWith("onbuild", StringComparison.OrdinalIgnoreCase)
            ? original[7..].Trim()
            : nested.Original.Trim();
        return new OnbuildInstruction(node, expression);
    }

    private static Instruction ParseHealthcheck(Node node)
    {
        var flags = new InstructionFlags(node)
            .String("interval").String("timeout").String("start-period").String("start-interval").String("retries")
            .Parse();
        var args = node.Arguments;
        if (args.Count == 0)
        {
            throw Error(node, "HEALTHCHECK requires an argument: HEALTHCHECK [OPTIONS] CMD <command> or HEALTHCHECK NONE");
        }
        var type = args[0].ToUpperInvariant();
        if (type == "NONE")
        {
            if (args.Count > 1)
            {
                throw Error(node, "HEALTHCHECK NONE takes no other arguments");
            }
            if (node.Flags.Count > 0)
            {
                throw Error(node, "HEALTHCHECK NONE takes no options");
            }
            return new HealthcheckInstruction(node, ["NONE"], null, null, null, null, null);
        }
        if (type != "CMD")
        {
            throw Error(node, $"unknown type \"{args[0]}\" in HEALTHCHECK (try CMD or NONE)");
        }
        if (args.Count < 2 || (args.Count == 2 && string.IsNullOrWhiteSpace(args[1]) && !node.IsJson))
        {
            throw Error(node, "HEALTHCHECK CMD requires a command");
        }
        IReadOnlyList<string> test = node.IsJson ? ["CMD", .. args.Skip(1)] : ["CMD-SHELL", args[1]];
        var retriesText = flags.GetString("retries");
        int? retries = null;
        if (retriesText is not null)
        {
            if (!int.TryParse(retriesText, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var r))
            {
                throw Error(node, $"HEALTHCHECK: --retries must be a whole number, not '{retriesText}'");
            }
            if (r < 0)
            {
                throw Error(node, "HEALTHCHECK: --retries cannot be negative");
            }
            retries = r;
        }
        return new HealthcheckInstruction(
            node,
            test,
            Duration(node, flags, "interval"),
            Duration(node, flags, "timeout"),
            Duration(node, flags, "start-period"),
            Duration(node, flags, "start-interval"),
            retries);
    }

    private static TimeSpan? Duration(Node node, InstructionFlags flags, string name)
    {
        var text = flags.GetString(name);
        if (text is null)
        {
            return null;
        }
        if (!GoDuration.TryParse(text, out var value))
        {
            throw Error(node, $"HEALTHCHECK: --{name} must be a duration such as 30s or 1m30s, not '{text}'");
        }
        if (value != TimeSpan.Zero && value < TimeSpan.FromMilliseconds(1))
        {
            throw Error(node, $"HEALTHCHECK: --{name} cannot be less than 1ms");
        }
        return value;
    }

    private static Instruction ParseShell(Node node)
    {
        Flagless(node);
        if (!node.IsJson)
        {
            throw Error(node, "SHELL requires the arguments to be in JSON form: SHELL [\"executable\", \"parameters\"]");
        }
        if (node.Arguments.Count == 0)
        {
            throw Error(node, "SHELL requires at least one argument");
        }
        return new ShellInstruction(node, node.Arguments);
    }

    private static CommandLine Command(Node node, string keyword, bool allowEmptyJson)
    {
        RejectMalformedJson(node, keyword);
        if (node.IsJson)
        {
            if (node.Arguments.Count == 0 && !allowEmptyJson)
            {
                throw Error(node, $"{keyword} requires at least one argument");
            }
            return new CommandLine(node.Arguments, PrependShell: false);
        }
        var text = node.Arguments.Count == 0 ? "" : string.Join(" ", node.Arguments);
        if (string.IsNullOrWhiteSpace(text) && node.Heredocs.Count == 0)
        {
            throw Error(node, $"{keyword} requires at least one argument");
        }
        return new CommandLine([text], PrependShell: true);
    }

    /// <summary>
    /// Text that starts like a JSON array of strings but does not parse is almost always a typo:
    /// running it as a shell command would fail later and far less clearly.
    /// </summary>
    private static void RejectMalformedJson(Node node, string keyword)
    {
        if (node.IsJson || node.Arguments.Count == 0)
        {
            return;
        }
        var text = string.Join(" ", node.Arguments).TrimStart();
        if (!text.StartsWith("[\"", StringComparison.Ordinal) && !text.StartsWith("[ \"", StringComparison.Ordinal))
        {
            return;
        }
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind == JsonValueKind.Array && doc.RootElement.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            {
                throw Error(node, $"{keyword}: malformed JSON in exec form: every element must be a string");
            }
        }
        catch (JsonException e)
        {
            throw Error(node, $"{keyword}: malformed JSON in exec form ({FirstSentence(e.Message)}); write a JSON array of strings such as [\"executable\", \"arg\"], or use shell form");
        }
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return (end < 0 ? message : message[..end]).TrimEnd('.');
    }

    private static IReadOnlyList<KeyValue> KeyValues(Node node, string keyword)
    {
        var args = node.Arguments;
        if (args.Count == 0)
        {
            throw Error(node, $"{keyword} requires at least one argument: {keyword} <key>=<value> ...");
        }
        if (args.Count % 3 != 0)
        {
            throw Error(node, $"{keyword}: malformed key-value arguments");
        }
        var pairs = new List<KeyValue>(args.Count / 3);
        for (var i = 0; i < args.Count; i += 3)
        {
            if (args[i].Length == 0)
            {
                throw Error(node, $"{keyword} names can not be blank");
            }
            pairs.Add(new KeyValue(args[i], args[i + 1]));
        }
        return pairs;
    }

    private static string ExactlyOne(Node node, string keyword)
    {
        if (node.Arguments.Count != 1 || string.IsNullOrWhiteSpace(node.Arguments[0]))
        {
            throw Error(node, $"{keyword} requires exactly one argument");
        }
        return node.Arguments[0];
    }

    private static IReadOnlyList<string> AtLeastOne(Node node, string keyword)
    {
        if (node.Arguments.Count == 0)
        {
            throw Error(node, $"{keyword} requires at least one argument");
        }
        return node.Arguments;
    }

    private static Node Flagless(Node node)
    {
        new InstructionFlags(node).Parse();
        return node;
    }

    private static DockerfileException Error(Node node, string message) => new(message, node.StartLine, node.EndLine);

    [GeneratedRegex("^[a-z][a-z0-9-_.]*$")]
    private static partial Regex StageNamePattern();
}
