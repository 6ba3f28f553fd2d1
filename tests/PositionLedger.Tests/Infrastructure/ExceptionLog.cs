using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PositionLedger.Tests.Infrastructure;

/// <summary>
/// The exceptions the app logs while a test runs, so that a 5xx is reported with its cause. Added to the shared
/// app's logger factory (a provider cannot be removed): it records only while <see cref="Recording"/> is on.
/// </summary>
internal sealed class ExceptionLog : ILoggerProvider, ILogger
{
    public bool Recording = true;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _seen = new();

    public static ExceptionLog Into(IServiceProvider services)
    {
        var log = new ExceptionLog();
        services.GetRequiredService<ILoggerFactory>().AddProvider(log);
        return log;
    }

    public List<string> Drain()
    {
        var all = new List<string>();
        while (_seen.TryDequeue(out var e)) all.Add(e);
        return all;
    }

    public ILogger CreateLogger(string categoryName) => this;
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => Recording && logLevel >= LogLevel.Error;

    public void Log<TState>(
        LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel) || exception is null) return;
        var inner = exception;
        while (inner.InnerException is not null && inner is AggregateException or TargetInvocationException)
            inner = inner.InnerException;
        var frame = inner.StackTrace?.Split('\n').Select(l => l.Trim())
            .FirstOrDefault(l => l.Contains("PositionLedger.", StringComparison.Ordinal)
                && !l.Contains("Internal.Generated", StringComparison.Ordinal));
        frame = frame is null ? null : System.Text.RegularExpressions.Regex.Replace(frame, @" in .*[/\\]", " in ");
        _seen.Enqueue($"{inner.GetType().FullName}: {inner.Message.Split('\n')[0].Trim()}{(frame is null ? "" : $" ({frame})")}");
    }

    public void Dispose() { }
}
