using System.Globalization;
using System.Text.RegularExpressions;

namespace PositionLedger.Infrastructure;

/// <summary>
/// The two input forms for both clocks: a day (<c>YYYY-MM-DD</c>) or an ISO-8601 instant that names
/// its offset. An instant without an offset is refused rather than read in the server's time zone.
/// </summary>
public static partial class Instants
{
    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}\z")]
    private static partial Regex DayPattern();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,7})?)?(Z|[+-][0-9]{2}:[0-9]{2})\z")]
    private static partial Regex InstantPattern();

    public const string FormatHint =
        "a date YYYY-MM-DD or an ISO-8601 instant with offset (e.g. 2025-03-13T18:00:00Z), from 1800-01-01 on";

    /// <summary>
    /// Nothing the ledger records was said before this. A floor keeps a typo (year 0001) from stretching
    /// every chart and slider over millennia.
    /// </summary>
    public static readonly DateTimeOffset Earliest = new(1800, 1, 1, 0, 0, 0, TimeSpan.Zero);

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
            return instant >= Earliest;
        }
        // An offset that carries the instant past the calendar's ends (0001-01-01T00:00+01:00) fails to parse.
        return InstantPattern().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out instant)
            && instant >= Earliest;
    }

    /// <summary>
    /// A query bound (asOf, knownAt, to): a date means through the end of that UTC day, i.e. the last
    /// microsecond PostgreSQL can store before the next day starts.
    /// </summary>
    public static bool TryParseUpperBound(string? text, out DateTimeOffset bound)
    {
        if (!TryParse(text, out bound, out var isDate)) return false;
        // One step: 9999-12-31 has no next day to step back from.
        if (isDate) bound = bound.AddTicks(TimeSpan.TicksPerDay - TimeSpan.TicksPerMicrosecond);
        return true;
    }

    /// <summary>Day-precision statements are shown as a date, others as a UTC instant.</summary>
    public static string Format(DateTimeOffset instant, bool isDate) =>
        isDate
            ? instant.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : instant.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}
