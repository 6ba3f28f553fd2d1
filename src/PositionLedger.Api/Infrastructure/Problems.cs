using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace PositionLedger.Infrastructure;

/// <summary>RFC 9457 problem details for the cases every slice shares.</summary>
public static class Problems
{
    public static ProblemDetails Invalid(string field, string message) =>
        Invalid(new Dictionary<string, string[]> { [field] = [message] });

    public static ProblemDetails Invalid(IDictionary<string, string[]> errors) =>
        new HttpValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "The request is invalid",
            Detail = $"See errors for: {string.Join(", ", errors.Keys)}.",
        };

    public static ProblemDetails Conflict(string detail) =>
        new() { Status = StatusCodes.Status409Conflict, Title = "Conflict", Detail = detail };

    public static ProblemDetails Forbidden(string detail) =>
        new() { Status = StatusCodes.Status403Forbidden, Title = "Forbidden", Detail = detail };

    public static ProblemDetails NotFound(string detail) =>
        new() { Status = StatusCodes.Status404NotFound, Title = "Not found", Detail = detail };

    /// <summary>Runs a FluentValidation validator; no problem means carry on. A JSON <c>null</c> body arrives as a null command.</summary>
    public static ProblemDetails Check<T>(IValidator<T> validator, T? command)
    {
        if (command is null) return Invalid("body", "The body must be a JSON object.");
        var result = validator.Validate(command);
        if (result.IsValid) return WolverineContinue.NoProblems;
        return Invalid(result.Errors
            .GroupBy(e => e.PropertyName)
            .ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).Distinct().ToArray()));
    }

    public static bool IsProblem(this ProblemDetails problem) => !ReferenceEquals(problem, WolverineContinue.NoProblems);
}
