using System.Text;

namespace PositionLedger.Sources;

/// <summary>
/// An anchor as stored: a W3C Web Annotation TextQuoteSelector (<see cref="Exact"/>, <see cref="Prefix"/>,
/// <see cref="Suffix"/>) and TextPositionSelector (<see cref="Start"/>, <see cref="End"/>: offsets in Unicode
/// code points of the source's text, end exclusive), always all five.
/// </summary>
public sealed record Anchor(string Source, string Exact, string Prefix, string Suffix, int Start, int End);

/// <summary>An anchor as a client sends it: the quote, and optionally its context and position.</summary>
public sealed record AnchorInput(string? Source, string? Exact, string? Prefix, string? Suffix, int? Start, int? End);

/// <summary>
/// Places anchors in a source's text, as the Web Annotation model reads them. Positions count code points
/// (a C# string counts UTF-16 units, so an emoji or a CJK extension character is one code point but two
/// units). Pure: the text is given, nothing is read.
/// </summary>
public static class TextAnchors
{
    /// <summary>How much context a stored anchor keeps on each side (fewer where the text ends sooner).</summary>
    public const int ContextCodePoints = 32;

    /// <summary>The anchor, complete, or why it cannot be placed (a sentence for the client).</summary>
    public static (Anchor? Anchor, string? Problem) Place(string sourceId, string text, AnchorInput input)
    {
        if (string.IsNullOrEmpty(input.Exact)) return (null, "'exact' must be the quoted text.");
        var exact = input.Exact;
        int at;
        if (input.Start is { } start || input.End is not null)
        {
            if (input.Start is null || input.End is null) return (null, "'start' and 'end' come together, or not at all.");
            var (from, to) = (input.Start.Value, input.End.Value);
            if (from < 0 || to <= from) return (null, "'start' must be 0 or more and 'end' greater than 'start'.");
            var fromUnit = UnitIndex(text, from);
            var toUnit = UnitIndex(text, to);
            if (fromUnit < 0 || toUnit < 0) return (null, "'start' and 'end' must lie within the source's text.");
            if (!text.AsSpan(fromUnit, toUnit - fromUnit).SequenceEqual(exact))
                return (null, $"The source's text at [{from}, {to}) is not 'exact': it reads \"{Shorten(text[fromUnit..toUnit])}\".");
            if (!Fits(text, fromUnit, exact.Length, input.Prefix, input.Suffix))
                return (null, "'prefix' and 'suffix' must stand right before and after 'exact' in the source.");
            at = fromUnit;
        }
        else
        {
            var found = Occurrences(text, exact).Where(i => Fits(text, i, exact.Length, input.Prefix, input.Suffix)).Take(2).ToList();
            if (found.Count == 0) return (null, "'exact' (with its prefix and suffix, where given) is not found in the source's text.");
            if (found.Count > 1)
                return (null, "'exact' is found more than once in the source's text: add a 'prefix' or 'suffix', or 'start' and 'end'.");
            at = found[0];
        }
        var startPoint = CodePoints(text.AsSpan(0, at));
        return (new Anchor(
            sourceId, exact,
            LastCodePoints(text.AsSpan(0, at), ContextCodePoints),
            FirstCodePoints(text.AsSpan(at + exact.Length), ContextCodePoints),
            startPoint,
            startPoint + CodePoints(exact)), null);
    }

    private static bool Fits(string text, int at, int length, string? prefix, string? suffix) =>
        (string.IsNullOrEmpty(prefix) || text.AsSpan(0, at).EndsWith(prefix, StringComparison.Ordinal))
        && (string.IsNullOrEmpty(suffix) || text.AsSpan(at + length).StartsWith(suffix, StringComparison.Ordinal));

    private static IEnumerable<int> Occurrences(string text, string exact)
    {
        for (var i = text.IndexOf(exact, StringComparison.Ordinal); i >= 0; i = text.IndexOf(exact, i + 1, StringComparison.Ordinal))
            yield return i;
    }

    /// <summary>The UTF-16 index of a code-point offset (the text's length for its end), or -1 past the end.</summary>
    public static int UnitIndex(string text, int codePoint)
    {
        var unit = 0;
        for (var point = 0; point < codePoint; point++)
        {
            if (unit >= text.Length) return -1;
            unit += char.IsSurrogatePair(text, unit) ? 2 : 1;
        }
        return unit;
    }

    public static int CodePoints(ReadOnlySpan<char> text)
    {
        var count = 0;
        foreach (var _ in text.EnumerateRunes()) count++;
        return count;
    }

    public static int CodePoints(string text) => CodePoints(text.AsSpan());

    private static string LastCodePoints(ReadOnlySpan<char> text, int count)
    {
        var start = text.Length;
        for (var taken = 0; taken < count && start > 0; taken++)
            start -= start >= 2 && char.IsSurrogatePair(text[start - 2], text[start - 1]) ? 2 : 1;
        return text[start..].ToString();
    }

    private static string FirstCodePoints(ReadOnlySpan<char> text, int count)
    {
        var builder = new StringBuilder();
        var taken = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (taken++ == count) break;
            builder.Append(rune.ToString());
        }
        return builder.ToString();
    }

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..77] + "...";
}
