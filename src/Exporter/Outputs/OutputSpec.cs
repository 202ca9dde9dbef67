using System.Globalization;
using System.Text;
using Builder.Snapshotter.Layers;

namespace Builder.Exporter.Outputs;

/// <summary>
/// One <c>--output</c> in BuildKit's syntax: comma-separated <c>key=value</c> fields (double quotes protect
/// commas, as in <c>name="a:1,b:2"</c>), or the short forms <c>-</c> (a tar on stdout) and <c>DIR</c>
/// (type=local). Unknown keys are errors rather than silently ignored options.
/// </summary>
public sealed record OutputSpec
{
    public OutputType Type { get; init; }

    /// <summary>The file or directory written, <c>-</c> for stdout; null for image and registry outputs.</summary>
    public string? Dest { get; init; }

    /// <summary>Image names (<c>name=</c>), several allowed.</summary>
    public IReadOnlyList<string> Names { get; init; } = [];

    public bool Push { get; init; }

    /// <summary>type=oci only: false writes a layout directory.</summary>
    public bool Tar { get; init; } = true;

    public LayerCompression Compression { get; init; } = LayerCompression.Gzip;

    public int? CompressionLevel { get; init; }

    /// <summary>
    /// Accepted for BuildKit compatibility; it always holds here, since layers are exported per requested
    /// compression (a pulled zstd layer exported as gzip is recompressed).
    /// </summary>
    public bool ForceCompression { get; init; }

    /// <summary>OCI media types; BuildKit's default is false for type=docker and true otherwise.</summary>
    public bool OciMediaTypes { get; init; } = true;

    /// <summary><c>annotation.KEY=VALUE</c> and <c>annotation-manifest.KEY=VALUE</c>: manifest annotations.</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();

    /// <summary>The assembler options this output asks for.</summary>
    public ImageExportOptions ToImageExportOptions(long? sourceDateEpoch) => new()
    {
        Compression = Compression,
        Level = CompressionLevel,
        OciMediaTypes = OciMediaTypes,
        SourceDateEpoch = sourceDateEpoch,
        Annotations = Annotations.Count > 0 ? Annotations : null,
    };

    /// <summary>Parses one <c>--output</c> value; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static OutputSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            throw new FormatException("empty --output: expected type=TYPE[,key=value...], '-' or a directory");
        }
        if (text == "-")
        {
            return new OutputSpec { Type = OutputType.Tar, Dest = "-" };
        }
        if (!text.Contains('=', StringComparison.Ordinal))
        {
            return new OutputSpec { Type = OutputType.Local, Dest = text };
        }
        var fields = SplitFields(text);
        var typeText = fields.FirstOrDefault(f => f.Key == "type").Value
            ?? throw new FormatException($"--output '{text}' has no type= (one of image, registry, docker, oci, local, tar)");
        var type = typeText switch
        {
            "image" => OutputType.Image,
            "registry" => OutputType.Registry,
            "docker" => OutputType.Docker,
            "oci" => OutputType.Oci,
            "local" => OutputType.Local,
            "tar" => OutputType.Tar,
            _ => throw new FormatException($"unknown output type '{typeText}': expected image, registry, docker, oci, local or tar"),
        };
        var spec = new OutputSpec { Type = type, OciMediaTypes = type != OutputType.Docker, Push = type == OutputType.Registry };
        var names = new List<string>();
        var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in fields)
        {
            spec = key switch
            {
                "type" => spec,
                "dest" => spec with { Dest = value },
                "name" => AddNames(spec, names, value),
                "push" => spec with { Push = Bool(key, value) },
                "tar" => spec with { Tar = Bool(key, value) },
                "compression" => spec with { Compression = CompressionOf(value) },
                "compression-level" => spec with { CompressionLevel = Level(value) },
                "force-compression" => spec with { ForceCompression = Bool(key, value) },
                "oci-mediatypes" => spec with { OciMediaTypes = Bool(key, value) },
                _ when key.StartsWith("annotation.", StringComparison.Ordinal) || key.StartsWith("annotation-manifest.", StringComparison.Ordinal) =>
                    AddAnnotation(spec, annotations, key[(key.IndexOf('.', StringComparison.Ordinal) + 1)..], value),
                _ => throw new FormatException($"unknown option '{key}' for type={typeText}"),
            };
        }
        spec = spec with { Names = names, Annotations = annotations };
        Validate(spec, typeText);
        return spec;
    }

    private static void Validate(OutputSpec spec, string typeText)
    {
        var wantsDest = spec.Type is OutputType.Docker or OutputType.Oci or OutputType.Local or OutputType.Tar;
        if (wantsDest && string.IsNullOrEmpty(spec.Dest))
        {
            throw new FormatException($"type={typeText} needs dest=PATH (or dest=- for stdout)");
        }
        if (!wantsDest && spec.Dest is not null)
        {
            throw new FormatException($"type={typeText} does not take dest=; it writes to the image store or a registry");
        }
        if (spec.Dest == "-" && (spec.Type == OutputType.Local || (spec.Type == OutputType.Oci && !spec.Tar)))
        {
            throw new FormatException($"dest=- streams a tar; type={typeText}{(spec.Type == OutputType.Oci ? ",tar=false" : "")} writes a directory");
        }
        if (spec.Type is OutputType.Image or OutputType.Registry && spec.Names.Count == 0 && spec.Push)
        {
            throw new FormatException($"type={typeText} with push=true needs name=REFERENCE");
        }
        if (!spec.OciMediaTypes && spec.Compression == LayerCompression.Zstd)
        {
            throw new FormatException("compression=zstd needs oci-mediatypes=true: Docker media types have no zstd layer");
        }
    }

    private static OutputSpec AddNames(OutputSpec spec, List<string> names, string value)
    {
        names.AddRange(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return spec;
    }

    private static OutputSpec AddAnnotation(OutputSpec spec, SortedDictionary<string, string> annotations, string key, string value)
    {
        if (key.Length == 0)
        {
            throw new FormatException("an annotation needs a key: annotation.KEY=VALUE");
        }
        annotations[key] = value;
        return spec;
    }

    private static bool Bool(string key, string value) => value switch
    {
        "true" or "1" => true,
        "false" or "0" => false,
        _ => throw new FormatException($"{key}={value}: expected true or false"),
    };

    private static LayerCompression CompressionOf(string value) => value switch
    {
        "gzip" => LayerCompression.Gzip,
        "zstd" => LayerCompression.Zstd,
        "uncompressed" => LayerCompression.None,
        _ => throw new FormatException($"compression={value}: expected gzip, zstd or uncompressed"),
    };

    private static int Level(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var level) && level is >= 0 and <= 22
            ? level
            : throw new FormatException($"compression-level={value}: expected a number from 0 to 22");

    /// <summary>Splits on commas outside double quotes; quotes are removed; every field must be key=value.</summary>
    private static List<KeyValuePair<string, string>> SplitFields(string text)
    {
        var fields = new List<KeyValuePair<string, string>>();
        var current = new StringBuilder();
        var quoted = false;
        void Flush()
        {
            var field = current.ToString();
            current.Clear();
            var eq = field.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new FormatException($"invalid --output field '{field}': expected key=value");
            }
            fields.Add(new(field[..eq].Trim().ToLowerInvariant(), field[(eq + 1)..]));
        }
        foreach (var c in text)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                Flush();
            }
            else
            {
                current.Append(c);
            }
        }
        if (quoted)
        {
            throw new FormatException($"--output '{text}' has an unterminated double quote");
        }
        Flush();
        return fields;
    }
}
