using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using PositionLedger.Infrastructure;
using Wolverine.Http;

namespace PositionLedger.Activity;

public sealed record DayActivity(string Day, long Stated, long Claims, long Corrected, long Retracted);

public static class GetActivityEndpoint
{
    /// <summary>Recording activity per UTC day, from the asynchronous projection (it may trail the log by moments).</summary>
    [WolverineGet("/api/activity", OperationId = "getActivity")]
    [Tags(ApiTags.Activity)]
    [EndpointSummary("Recording activity per day")]
    [EndpointDescription("How many statements, claims, corrections and retractions were recorded on each UTC day, from an "
        + "asynchronous projection that may trail the log by moments.")]
    [Parameter("from", "The first day.", Value = ParameterValue.Date)]
    [Parameter("to", "The last day.", Value = ParameterValue.Date)]
    public static async Task<Results<Ok<List<DayActivity>>, ProblemHttpResult>> Get(
        string? from, string? to, NpgsqlDataSource db, ActivityTable table, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        DateOnly? fromDay = null, toDay = null;
        if (from is not null)
        {
            if (DateOnly.TryParseExact(from, "yyyy-MM-dd", out var f)) fromDay = f;
            else errors["from"] = ["'from' must be a date YYYY-MM-DD."];
        }
        if (to is not null)
        {
            if (DateOnly.TryParseExact(to, "yyyy-MM-dd", out var t)) toDay = t;
            else errors["to"] = ["'to' must be a date YYYY-MM-DD."];
        }
        if (errors.Count > 0) return TypedResults.Problem(Problems.Invalid(errors));

        await using var command = db.CreateCommand(
            $"select day, stated, claims, corrected, retracted from {table.QualifiedName} where ($1::date is null or day >= $1) and ($2::date is null or day <= $2) order by day");
        command.Parameters.Add(new NpgsqlParameter<DateOnly?> { TypedValue = fromDay });
        command.Parameters.Add(new NpgsqlParameter<DateOnly?> { TypedValue = toDay });
        var days = new List<DayActivity>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            days.Add(new DayActivity(
                reader.GetFieldValue<DateOnly>(0).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
        }
        return TypedResults.Ok(days);
    }
}
