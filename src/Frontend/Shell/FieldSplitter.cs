using System.Text;

namespace Builder.Frontend.Shell;

/// <summary>
/// Collects the fields of a word as it is expanded. Unquoted text (and the values of unquoted
/// variables) is split at whitespace; quoted or escaped text never is. Empty fields are dropped, so
/// <c>""</c> on its own yields no field, as in BuildKit.
/// </summary>
internal sealed class FieldSplitter
{
    private readonly List<string> _fields = [];
    private readonly StringBuilder _current = new();

    /// <summary>Appends text that whitespace may split.</summary>
    public void AddSplittable(ReadOnlySpan<char> text)
    {
        while (!text.IsEmpty)
        {
            // Decode for classification only; copying the original chars keeps lone surrogates intact.
            Rune.DecodeFromUtf16(text, out var rune, out var width);
            if (Rune.IsWhiteSpace(rune))
            {
                Flush();
            }
            else
            {
                _current.Append(text[..width]);
            }
            text = text[width..];
        }
    }

    /// <summary>Appends text that stays in the current field whatever it holds.</summary>
    public void AddLiteral(ReadOnlySpan<char> text) => _current.Append(text);

    /// <summary>Ends the last field and returns all of them.</summary>
    public IReadOnlyList<string> Finish()
    {
        Flush();
        return _fields;
    }

    private void Flush()
    {
        if (_current.Length > 0)
        {
            _fields.Add(_current.ToString());
            _current.Clear();
        }
    }
}
