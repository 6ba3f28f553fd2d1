using System.Globalization;
using System.Text.RegularExpressions;

namespace PositionLedger.Infrastructure;

/// <summary>
/// The two input forms for both clocks: a day (<c>YYYY-MM-DD</c>) or an ISO-8601 instant that names
/// its offset. An instant without an offset is refused rather than read in the server's time zone.
/// </summary>
public static partial class Instants
{
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}$")]
    private static partial Regex DayPattern();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex InstantPattern();

    public const string FormatHint = "a date YYYY-MM-DD or an ISO-8601 instant with offset, e.g. 2025-03-13T18:00:00Z";

    /// <summary>Parses a date as the start of that UTC day.</summary>
    public static bool TryParse(string? text, out DateTimeOffset instant, out bool isDate)
    {
        instant = default;
        isDate = false;
        if (string.IsNullOrWhiteSpace(text)) return false;
        if (DayPattern().IsMatch(text))
        {
            if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)) return false;
            instant = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            isDate = true;
            return true;
        }
        return InstantPattern().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out instant);
    }

    /// <summary>
    /// A query bound (asOf, knownAt, to): a date means through the end of that UTC day, i.e. the last
    /// microsecond PostgreSQL can store before the next day starts.
    /// </summary>
    public static bool TryParseUpperBound(string? text, out DateTimeOffset bound)
    {
        if (!TryParse(text, out bound, out var isDate)) return false;
        if (isDate) bound = bound.AddDays(1).AddTicks(-TimeSpan.TicksPerMicrosecond);
        return true;
    }

    /// <summary>Day-precision statements are shown as a date, others as a UTC instant.</summary>
    public static string Format(DateTimeOffset instant, bool isDate) =>
        isDate
            ? instant.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : instant.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}
