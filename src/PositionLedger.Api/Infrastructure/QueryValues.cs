using System.Globalization;

namespace PositionLedger.Infrastructure;

/// <summary>The query parameters several read routes share, each failure recorded against its name.</summary>
public static class QueryValues
{
    public static int Limit(string? text, int fallback, int max, IDictionary<string, string[]> errors, string name = "limit", int min = 1)
    {
        if (text is null) return fallback;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit >= min && limit <= max)
            return limit;
        errors[name] = [$"'{name}' must be a whole number from {min} to {max}."];
        return fallback;
    }

    /// <summary>An event sequence number to read after; 0 (the start of the log) when absent.</summary>
    public static long After(string? text, IDictionary<string, string[]> errors)
    {
        if (text is null) return 0;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var after)) return after;
        errors["after"] = ["'after' must be an event sequence number (0 or more)."];
        return 0;
    }
}
