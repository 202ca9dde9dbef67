using System.Text.RegularExpressions;

namespace Builder.Frontend.Conversion;

/// <summary>Validates --chmod values: octal (<c>755</c>, <c>0644</c>) or symbolic (<c>u+x,go-w</c>).</summary>
internal static partial class ChmodSpec
{
    public static bool IsValid(string value) => OctalPattern().IsMatch(value) || SymbolicPattern().IsMatch(value);

    [GeneratedRegex("^0?[0-7]{3,4}$")]
    private static partial Regex OctalPattern();

    [GeneratedRegex("^[ugoa]*[-+=][rwxXst]*(,[ugoa]*[-+=][rwxXst]*)*$")]
    private static partial Regex SymbolicPattern();
}
