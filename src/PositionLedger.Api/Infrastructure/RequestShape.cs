using Microsoft.AspNetCore.Mvc;

namespace PositionLedger.Infrastructure;

/// <summary>
/// What no API route takes, refused before any endpoint runs, so that no slice has to remember it: a
/// query or route value that is not clean text (a NUL would reach PostgreSQL, which cannot store it),
/// and a POST that does not say what its body is.
/// </summary>
public static class RequestShape
{
    public static async Task GuardAsync(HttpContext context, RequestDelegate next)
    {
        if (!context.Request.Path.StartsWithSegments("/api"))
        {
            await next(context);
            return;
        }
        var problem = Check(context.Request);
        if (problem is null)
        {
            await next(context);
            return;
        }
        context.Response.StatusCode = problem.Status!.Value;
        await context.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }

    private static ProblemDetails? Check(HttpRequest request)
    {
        foreach (var (name, values) in request.Query)
        {
            if (CleanText.Flaw(name) is not null) return Problems.Invalid("query", "A query parameter's name must be clean text.");
            foreach (var value in values)
            {
                if (value is not null && CleanText.Flaw(value) is { } flaw)
                    return Problems.Invalid(name, $"'{name}' must not contain {flaw}.");
            }
        }
        foreach (var (name, value) in request.RouteValues)
        {
            if (value is string text && CleanText.Flaw(text) is { } flaw)
                return Problems.Invalid(name, $"'{name}' must not contain {flaw}.");
        }
        if (HttpMethods.IsPost(request.Method) && string.IsNullOrEmpty(request.ContentType))
        {
            return new HttpValidationProblemDetails(
                new Dictionary<string, string[]> { ["Content-Type"] = ["Say what the body is: application/json."] })
            {
                Status = StatusCodes.Status415UnsupportedMediaType,
                Title = "Unsupported media type",
                Detail = "A POST needs a Content-Type header.",
            };
        }
        return null;
    }
}
