using System.Globalization;
using System.Text;

namespace Builder.Frontend.Parser;

/// <summary>
/// Quotes a string exactly like Go's <c>strconv.Quote</c>, which BuildKit's parser dump uses:
/// <c>"</c> and <c>\</c> are backslash-escaped, printable runes stay as they are, and everything
/// else becomes <c>\a \b \f \n \r \t \v</c>, <c>\xHH</c> (below U+0020 and U+007F), <c>\uHHHH</c> or <c>\UHHHHHHHH</c>.
/// </summary>
internal static class GoStringQuoter
{
    public static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2);
        AppendQuoted(sb, value);
        return sb.ToString();
    }

    public static void AppendQuoted(StringBuilder sb, string value)
    {
        sb.Append('"');
        // EnumerateRunes turns a lone surrogate into U+FFFD, as Go decodes invalid UTF-8.
        foreach (var rune in value.EnumerateRunes())
        {
            AppendRune(sb, rune);
        }
        sb.Append('"');
    }

    private static void AppendRune(StringBuilder sb, Rune rune)
    {
        var v = rune.Value;
        if (v is '"' or '\\')
        {
            sb.Append('\\').Append((char)v);
            return;
        }
        if (IsGoPrintable(rune))
        {
            Span<char> units = stackalloc char[2];
            sb.Append(units[..rune.EncodeToUtf16(units)]);
            return;
        }
        switch (v)
        {
            case '\a': sb.Append("\\a"); return;
            case '\b': sb.Append("\\b"); return;
            case '\f': sb.Append("\\f"); return;
            case '\n': sb.Append("\\n"); return;
            case '\r': sb.Append("\\r"); return;
            case '\t': sb.Append("\\t"); return;
            case '\v': sb.Append("\\v"); return;
        }
        if (v < ' ' || v == 0x7F)
        {
            sb.Append("\\x").Append(v.ToString("x2", CultureInfo.InvariantCulture));
        }
        else if (v < 0x10000)
        {
            sb.Append("\\u").Append(v.ToString("x4", CultureInfo.InvariantCulture));
        }
        else
        {
            sb.Append("\\U").Append(v.ToString("x8", CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Go's <c>unicode.IsPrint</c>: letters, marks, numbers, punctuation, symbols and the ASCII space.</summary>
    private static bool IsGoPrintable(Rune rune)
    {
        if (rune.Value == ' ')
        {
            return true;
        }
        switch (Rune.GetUnicodeCategory(rune))
        {
            case UnicodeCategory.UppercaseLetter:
            case UnicodeCategory.LowercaseLetter:
            case UnicodeCategory.TitlecaseLetter:
            case UnicodeCategory.ModifierLetter:
            case UnicodeCategory.OtherLetter:
            case UnicodeCategory.NonSpacingMark:
            case UnicodeCategory.SpacingCombiningMark:
            case UnicodeCategory.EnclosingMark:
            case UnicodeCategory.DecimalDigitNumber:
            case UnicodeCategory.LetterNumber:
            case UnicodeCategory.OtherNumber:
            case UnicodeCategory.ConnectorPunctuation:
            case UnicodeCategory.DashPunctuation:
            case UnicodeCategory.OpenPunctuation:
            case UnicodeCategory.ClosePunctuation:
            case UnicodeCategory.InitialQuotePunctuation:
            case UnicodeCategory.FinalQuotePunctuation:
            case UnicodeCategory.OtherPunctuation:
            case UnicodeCategory.MathSymbol:
            case UnicodeCategory.CurrencySymbol:
            case UnicodeCategory.ModifierSymbol:
            case UnicodeCategory.OtherSymbol:
                return true;
            default:
                return false;
        }
    }
}
