using System.Text.Json;
using System.Reflection;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using JasperFx;
using Marten.Exceptions;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace PositionLedger.Infrastructure;

/// <summary>
/// Exceptions that are answers, not server faults: another writer got there first (409), the body is too
/// large or unreadable (413/400), the database cannot be reached (503, and the next request tries again).
/// </summary>
public sealed class ExceptionProblems(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        var (status, detail) = exception switch
        {
            ExistingStreamIdCollisionException => (409, "It already exists: another request created it first."),
            // The bulk append (imports) meets a concurrent import of the same ids as a key violation of mt_streams.
            PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, TableName: "mt_streams" } =>
                (409, "It already exists: another request created it first."),
            ConcurrencyException => (409, "The statement changed since the version you read; fetch it again and retry."),
            BadHttpRequestException bad => (bad.StatusCode, bad.StatusCode == 413 ? "The request body is too large." : bad.Message),
            _ when IsDatabaseUnavailable(exception) => (503, "The database is unavailable; try again shortly."),
            // Validation refuses what PostgreSQL cannot store or compare; should a value slip past it, PostgreSQL's
            // data exceptions (class 22: bad encoding, out-of-range dates and numbers) are still the request's fault.
            PostgresException { SqlState: [ '2', '2', .. ] } => (400, "A value in the request cannot be stored or compared."),
            _ => (0, null),
        };
        if (detail is null) return false;
        context.Response.StatusCode = status;
        if (status == 503) context.Response.Headers.RetryAfter = "5";
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Detail = detail };
        if (status is 413 or 400) problem.Extensions["errors"] = new Dictionary<string, string[]> { ["body"] = [detail] };
        return await problems.TryWriteAsync(
            new ProblemDetailsContext { HttpContext = context, Exception = exception, ProblemDetails = problem });
    }

    public static bool IsDatabaseUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is NpgsqlException { IsTransient: true } or SocketException or TimeoutException) return true;
            if (e is PostgresException
                {
                    SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.CrashShutdown,
                })
            {
                return true;
            }
            if (e is AggregateException { InnerExceptions.Count: > 0 } many && many.InnerExceptions.All(IsDatabaseUnavailable)) return true;
        }
        return false;
    }
}

public static partial class JsonProblems
{
    [GeneratedRegex(@"Path: \$\.?(?<path>\S*) \|")]
    private static partial Regex PathPattern();

    [GeneratedRegex("The JSON property '(?<name>[^']+)' could not be mapped")]
    private static partial Regex UnmappedPattern();

    [GeneratedRegex("Duplicate property '(?<name>[^']+)'")]
    private static partial Regex DuplicatePattern();

    [GeneratedRegex(@"could not be converted to (?<type>\S+?)\. Path")]
    private static partial Regex ConversionPattern();

    /// <summary>
    /// Shapes every problem the app writes: a <c>type</c> that links to the status code's definition, and
    /// for a body Wolverine could not deserialize (400 "Invalid JSON format") the errors map naming the
    /// field, in words without .NET type names, as for every other validation failure.
    /// </summary>
    public static void Shape(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Status is { } status && StatusDefinitions.TryGetValue(status, out var definition)) problem.Type = definition;
        if (problem is HttpValidationProblemDetails) return;
        if (problem.Status == StatusCodes.Status415UnsupportedMediaType && !problem.Extensions.ContainsKey("errors"))
        {
            problem.Detail ??= "Send the body as application/json.";
            problem.Extensions["errors"] = new Dictionary<string, string[]> { ["Content-Type"] = ["The body must be application/json."] };
            return;
        }
        if (problem.Status == StatusCodes.Status413PayloadTooLarge && !problem.Extensions.ContainsKey("errors"))
        {
            // Kestrel's words ("Request body too large. The max request body size is N bytes.") name the limit.
            problem.Title = "The body is too large";
            problem.Extensions["errors"] = new Dictionary<string, string[]> { ["body"] = [problem.Detail ?? "The body is too large."] };
            return;
        }
        if (problem.Title != "Invalid JSON format" || problem.Detail is not { } detail) return;
        var field = FieldOf(detail, path: null);
        problem.Title = "The request is invalid";
        var body = context.HttpContext.GetEndpoint()?.Metadata
            .GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>()?.RequestType;
        problem.Detail = Describe(detail, field, body);
        problem.Extensions.Remove("lineNumber");
        problem.Extensions.Remove("bytePositionInLine");
        problem.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [problem.Detail] };
    }

    private static readonly Dictionary<int, string> StatusDefinitions = new()
    {
        [400] = "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.1",
        [401] = "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.2",
        [403] = "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.4",
        [404] = "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.5",
        [409] = "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.10",
        [413] = "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14",
        [415] = "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.16",
        [422] = "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.21",
        [429] = "https://www.rfc-editor.org/rfc/rfc6585#section-4",
        [500] = "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.1",
        [503] = "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4",
    };

    /// <summary>A System.Text.Json error in plain words about the field, without .NET type names or byte positions.</summary>
    /// <param name="body">The type the body was read into, when known: it says what the field should have been.</param>
    public static string Describe(string message, string field, Type? body = null)
    {
        if (UnmappedPattern().IsMatch(message)) return $"'{field}' is not a known property.";
        if (DuplicatePattern().IsMatch(message)) return $"'{field}' is given more than once.";
        var conversion = ConversionPattern().Match(message);
        if (conversion.Success)
        {
            // System.Text.Json names the declaring record, not the field's type, for a constructor parameter: ask the body type.
            var expected = (body is null ? null : Expected(TypeAt(body, field))) ?? conversion.Groups["type"].Value switch
            {
                var t when t.Contains("System.String[]", StringComparison.Ordinal) => "a list of strings",
                var t when t.Contains("System.String", StringComparison.Ordinal) => "a string",
                var t when t.Contains("System.Int", StringComparison.Ordinal) => "a whole number",
                var t when t.Contains("System.Boolean", StringComparison.Ordinal) => "true or false",
                _ => "an object",
            };
            return field == "body" ? $"The body must be {expected}." : $"'{field}' must be {expected}.";
        }
        // Anything else is the JSON itself being broken: say so, without the parser's position bookkeeping.
        var words = message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0].Trim();
        return $"The body is not valid JSON: {words}";
    }

    /// <summary>The type of the value at a field path (<c>source.url</c>, <c>conditions[0]</c>) of a body type, if it has one.</summary>
    private static Type? TypeAt(Type body, string field)
    {
        Type? type = body;
        foreach (var part in field.Split('.'))
        {
            var name = part.Split('[')[0];
            var property = type?.GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            type = property is null ? null : Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            for (var depth = part.Count(c => c == '['); depth > 0 && type is not null; depth--) type = ElementOf(type);
            if (type is null) return null;
        }
        return type;
    }

    private static Type? ElementOf(Type list) =>
        list.IsArray ? list.GetElementType()
        : list.GetInterfaces().Append(list).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            ?.GetGenericArguments()[0];

    private static string? Expected(Type? type) => type switch
    {
        null => null,
        _ when type == typeof(JsonElement) => null,
        _ when type == typeof(string) => "a string",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(int) || type == typeof(long) || type == typeof(short) => "a whole number",
        _ when type == typeof(double) || type == typeof(decimal) || type == typeof(float) => "a number",
        _ when ElementOf(type) == typeof(string) => "a list of strings",
        _ when ElementOf(type) is not null => "a list",
        _ => "an object",
    };

    /// <summary>The field a System.Text.Json error is about ("source.url"), or "body" when it names none.</summary>
    public static string FieldOf(string message, string? path)
    {
        var inMessage = PathPattern().Match(message);
        var found = path ?? (inMessage.Success ? "$." + inMessage.Groups["path"].Value : null);
        var field = found is null ? "" : found.TrimStart('$').TrimStart('.');
        // An unknown or repeated property is named by its full path: 'a' inside source is source.a.
        var named = UnmappedPattern().Match(message) is { Success: true } unmapped ? unmapped.Groups["name"].Value
            : DuplicatePattern().Match(message) is { Success: true } duplicate ? duplicate.Groups["name"].Value : null;
        if (named is not null)
            return field.Length == 0 || field == named || field.EndsWith("." + named, StringComparison.Ordinal)
                ? (field.Length == 0 ? named : field)
                : $"{field}.{named}";
        return field.Length > 0 ? field : "body";
    }
}
