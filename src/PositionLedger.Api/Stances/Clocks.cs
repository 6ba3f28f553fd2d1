using Microsoft.AspNetCore.Mvc;
using PositionLedger.Infrastructure;

namespace PositionLedger.Stances;

/// <summary>The two clocks of a read: valid time (asOf) and record time (knownAt), both defaulting to now.</summary>
public sealed record Clocks(DateTimeOffset AsOf, DateTimeOffset KnownAt)
{
    /// <param name="asOfName">What the caller calls its valid-time parameter, for the error message.</param>
    public static ProblemDetails TryRead(string? asOf, string? knownAt, TimeProvider clock, out Clocks clocks, string asOfName = "asOf")
    {
        var now = clock.GetUtcNow();
        clocks = new Clocks(now, now);
        var errors = new Dictionary<string, string[]>();
        DateTimeOffset asOfValue = now, knownAtValue = now;
        if (asOf is not null && !Instants.TryParseUpperBound(asOf, out asOfValue))
            errors[asOfName] = [$"'{asOfName}' must be {Instants.FormatHint}."];
        if (knownAt is not null && !Instants.TryParseUpperBound(knownAt, out knownAtValue))
            errors["knownAt"] = [$"'knownAt' must be {Instants.FormatHint}."];
        if (errors.Count > 0) return Problems.Invalid(errors);
        clocks = new Clocks(asOfValue, knownAtValue);
        return Wolverine.Http.WolverineContinue.NoProblems;
    }
}
