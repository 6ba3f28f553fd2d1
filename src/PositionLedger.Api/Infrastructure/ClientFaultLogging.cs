using System.Reflection;
using Wolverine.Http;

namespace PositionLedger.Infrastructure;

/// <summary>
/// Wolverine logs a body it cannot read as JSON as an error, with the parser's stack trace, under the type of the
/// body. That is the client's fault, answered with a 400 that names the field: not an error of the server. Those
/// command types log nothing themselves, and a real failure is logged by the exception handler under its own
/// category, so their errors are dropped from the logs.
/// </summary>
public static class ClientFaultLogging
{
    public static void QuietClientFaults(this ILoggingBuilder logging)
    {
        var assembly = typeof(ClientFaultLogging).Assembly;
        // Wolverine names the log after the type it was reading the body into.
        var bodyTypes = assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttributes<WolverineHttpMethodAttribute>().Any())
            .SelectMany(m => m.GetParameters().Select(p => p.ParameterType))
            .Where(t => t.Assembly == assembly)
            .Distinct();
        // A rule per category: more specific than the configured default, so nothing else changes.
        foreach (var type in bodyTypes) logging.AddFilter(type.FullName, LogLevel.Critical);
    }
}
