namespace Builder.Frontend.Parser;

/// <summary>
/// ENV and LABEL arguments as (key, value, separator) triples. <c>KEY k=v k2=v2</c> gives separator
/// <c>"="</c> per pair, values keeping their quotes. The legacy <c>KEY name the rest</c> form (first
/// word without <c>=</c>) gives one pair with separator <c>""</c> whose value is the raw rest of the line.
/// </summary>
internal static class KeyValueParser
{
    /// <param name="instruction">Upper-case instruction name for messages (ENV, LABEL).</param>
    public static ParsedArguments Parse(string text, string instruction, char escapeToken, LineSpan span)
    {
        var words = ArgumentWords.Split(text, escapeToken);
        if (words.Count == 0)
        {
            throw span.Error($"{instruction} requires at least one argument");
        }

        if (!words[0].Contains('='))
        {
            var parts = DockerfileWhitespace.SplitOnBlanks(text, 2);
            if (parts.Count < 2)
            {
                throw span.Error($"{instruction} must have two arguments");
            }
            return new ParsedArguments([parts[0], parts[1], ""]);
        }

        var values = new List<string>(words.Count * 3);
        foreach (var word in words)
        {
            var eq = word.IndexOf('=');
            if (eq < 0)
            {
                throw span.Error($"Syntax error - can't find = in {GoStringQuoter.Quote(word)}. Must be of the form: name=value");
            }
            if (eq == 0)
            {
                throw span.Error($"{instruction} names can not be blank");
            }
            values.Add(word[..eq]);
            values.Add(word[(eq + 1)..]);
            values.Add("=");
        }
        return new ParsedArguments(values);
    }

    /// <summary>ARG: each word is a <c>name</c> or <c>name=value</c>, kept as written.</summary>
    public static ParsedArguments NamesOrPairs(string text, char escapeToken) =>
        new(ArgumentWords.Split(text, escapeToken));
}
