using System.Text.RegularExpressions;
using JasperFx;
using Marten.Exceptions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace PositionLedger.Infrastructure;

/// <summary>
/// Failures that surface only when the transaction commits: another writer got there first.
/// They are conflicts for the client to resolve (409), never server errors.
/// </summary>
public sealed class ConflictExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        var detail = exception switch
        {
            ExistingStreamIdCollisionException => "It already exists: another request created it first.",
            ConcurrencyException => "The statement changed since the version you read; fetch it again and retry.",
            _ => null,
        };
        if (detail is null) return false;
        context.Response.StatusCode = StatusCodes.Status409Conflict;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = StatusCodes.Status409Conflict, Title = "Conflict", Detail = detail },
        });
    }
}

public static partial class JsonProblems
{
    [GeneratedRegex(@"Path: \$\.?(?<path>\S*) \|")]
    private static partial Regex PathPattern();

    [GeneratedRegex("The JSON property '(?<name>[^']+)' could not be mapped")]
    private static partial Regex UnmappedPattern();

    /// <summary>
    /// Wolverine answers a body it cannot deserialize with 400 "Invalid JSON format"; this adds the
    /// errors map naming the offending field, as for every other validation failure.
    /// </summary>
    public static void NameTheField(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Title != "Invalid JSON format" || problem.Detail is not { } detail) return;
        var unmapped = UnmappedPattern().Match(detail);
        var path = PathPattern().Match(detail);
        var field = unmapped.Success
            ? unmapped.Groups["name"].Value
            : path.Success && path.Groups["path"].Value.Length > 0 ? path.Groups["path"].Value : "body";
        var message = unmapped.Success ? $"'{field}' is not a known property." : detail;
        problem.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [message] };
    }
}
