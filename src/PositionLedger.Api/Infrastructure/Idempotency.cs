using System.Security.Cryptography;
using Marten;
using Npgsql;
using Weasel.Postgresql.Tables;

namespace PositionLedger.Infrastructure;

/// <summary>
/// <c>Idempotency-Key</c> on any POST: the first request with a key runs and its response is stored in
/// PostgreSQL; a repeat with the same key and body gets that response again and appends nothing; the
/// same key with another body is a 422. Keys are scoped per credential.
/// <para>
/// The key, what the request appends and the response commit in one transaction: it starts by taking
/// the key's lock and looking the key up, every session the request opens appends in it (see
/// <see cref="RequestTransactionSessions"/>), and the key is stored with the response just before the
/// commit. So a write and its key are never apart, whatever fails, and one commit does it all. A repeat
/// that arrives while the first runs waits on the key's lock, then replays the first response; if the first
/// failed, nothing of it remains and the repeat runs.
/// </para>
/// </summary>
public sealed class Idempotency(
    RequestDelegate next, NpgsqlDataSource db, IdempotencyTable table, IProblemDetailsService problems, EventLog.AppendNotifier notifier)
{
    public const string Header = "Idempotency-Key";
    public const int MaxKeyLength = 200;

    /// <summary>Where the request's transaction waits for the sessions the request opens.</summary>
    public const string TransactionItem = "PositionLedger.Idempotency.Transaction";

    /// <summary>How long a repeat waits for the first request to finish before answering 409.</summary>
    private static readonly TimeSpan WaitForFirst = TimeSpan.FromSeconds(15);

    public static Table DefineTable(string schema)
    {
        var t = new Table($"{schema}.pl_idempotency_keys");
        t.AddColumn<string>("credential").AsPrimaryKey();
        t.AddColumn<string>("key").AsPrimaryKey();
        t.AddColumn("request_hash", "bytea").NotNull();
        t.AddColumn<DateTimeOffset>("created").NotNull();
        t.AddColumn<int>("status");
        t.AddColumn<string>("content_type");
        t.AddColumn<string>("location");
        t.AddColumn("body", "bytea");
        return t;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var key = context.Request.Headers[Header].ToString();
        if (!HttpMethods.IsPost(context.Request.Method) || key.Length == 0)
        {
            await next(context);
            return;
        }
        if (key.Length > MaxKeyLength || key.Any(char.IsControl))
        {
            await Problem(context, StatusCodes.Status400BadRequest,
                $"The {Header} header must be 1 to {MaxKeyLength} printable characters.", withErrors: true);
            return;
        }

        var credential = context.User.Identity?.Name ?? "";
        var hash = await HashRequestAsync(context);
        await using var connection = await db.OpenConnectionAsync(context.RequestAborted);
        await using var tx = await connection.BeginTransactionAsync(context.RequestAborted);
        Stored? stored;
        try
        {
            stored = await LockAndFindAsync(connection, tx, credential, key, context.RequestAborted);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            context.Response.Headers.RetryAfter = "1";
            await Problem(context, StatusCodes.Status409Conflict, $"A request with this {Header} is still being processed; retry shortly.",
                withErrors: false);
            return;
        }
        if (stored is not null)
        {
            if (!stored.RequestHash.AsSpan().SequenceEqual(hash))
                await Problem(context, StatusCodes.Status422UnprocessableEntity, $"This {Header} was used for a different request.",
                    withErrors: true);
            else
                await ReplayAsync(context, stored);
            return;
        }
        await RunAndRememberAsync(context, tx, credential, key, hash);
    }

    /// <summary>
    /// Takes the key's lock for the rest of the transaction, then reads what is stored for it. A concurrent
    /// repeat waits here until the first request commits (then it finds and replays its response) or rolls
    /// back (then it runs), so a key runs once even where the work commits elsewhere (bulk imports).
    /// </summary>
    private async Task<Stored?> LockAndFindAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string credential, string key,
        CancellationToken ct)
    {
        // A batch with positional parameters: Npgsql sends it as it is, without parsing it for names.
        await using var command = new NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                new($"set local lock_timeout = {(int)WaitForFirst.TotalMilliseconds}"),
                new("select pg_advisory_xact_lock(hashtextextended($1 || E'\\n' || $2, 0))")
                {
                    Parameters = { new() { Value = credential }, new() { Value = key } },
                },
                new("set local lock_timeout to default"),
                new("set local idle_in_transaction_session_timeout = '10min'"),
                new($"select request_hash, status, content_type, location, body from {table.QualifiedName} " +
                    "where credential = $1 and key = $2")
                {
                    Parameters = { new() { Value = credential }, new() { Value = key } },
                },
            },
        };
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct); // past the lock's result (the settings have none) to the lookup's
        if (!await reader.ReadAsync(ct)) return null;
        return new Stored(
            reader.GetFieldValue<byte[]>(0),
            reader.IsDBNull(1) ? null : reader.GetInt32(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetFieldValue<byte[]>(4));
    }

    /// <summary>Runs the request in the key's transaction and, unless it failed on the server, stores its response there too.</summary>
    private async Task RunAndRememberAsync(HttpContext context, NpgsqlTransaction tx, string credential, string key, byte[] hash)
    {
        var original = context.Response.Body;
        using var captured = new MemoryStream();
        context.Response.Body = captured;
        context.Items[TransactionItem] = tx;
        try
        {
            await next(context);
            context.Items.Remove(TransactionItem);
            // Server errors are not remembered (the client may retry them with the same key): nothing of
            // the request is kept. Nor is a request whose client went away before it finished (its status,
            // 499 or whatever the endpoint had set, was never heard): it rolls back, and the retry runs.
            // Anything else is stored and committed with what the request appended.
            if (context.Response.StatusCode < 500 && context.Response.StatusCode != StatusCodes.Status499ClientClosedRequest
                && !context.RequestAborted.IsCancellationRequested)
            {
                // The commit rides in the same round trip as the key (Npgsql sees the transaction end and
                // will not roll it back on dispose); if either fails, nothing of the request is kept.
                var location = context.Response.Headers.Location.ToString();
                await using var remember = new NpgsqlBatch(tx.Connection, tx)
                {
                    BatchCommands =
                    {
                        new($"insert into {table.QualifiedName} " +
                            "(credential, key, request_hash, created, status, content_type, location, body) " +
                            "values ($1, $2, $3, now(), $4, $5, $6, $7)")
                        {
                            Parameters =
                            {
                                new() { Value = credential },
                                new() { Value = key },
                                new() { Value = hash },
                                new() { Value = context.Response.StatusCode },
                                new()
                                {
                                    Value = (object?)context.Response.ContentType ?? DBNull.Value,
                                    NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text,
                                },
                                new()
                                {
                                    Value = location.Length > 0 ? location : DBNull.Value,
                                    NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text,
                                },
                                new() { Value = captured.ToArray() },
                            },
                        },
                        new("commit"),
                    },
                };
                await remember.ExecuteNonQueryAsync(CancellationToken.None);
                // What the request appended is committed only now: the live feeds may read it.
                notifier.Wake();
            }
        }
        finally
        {
            context.Items.Remove(TransactionItem);
            context.Response.Body = original;
        }
        // Only now, committed, does the client hear of it.
        captured.Position = 0;
        await captured.CopyToAsync(original, CancellationToken.None);
    }

    private static async Task<byte[]> HashRequestAsync(HttpContext context)
    {
        context.Request.EnableBuffering();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes(
            $"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}\n{context.Request.ContentType}\n"));
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0) sha.AppendData(buffer, 0, read);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        context.Request.Body.Position = 0;
        return sha.GetHashAndReset();
    }

    private sealed record Stored(byte[] RequestHash, int? Status, string? ContentType, string? Location, byte[]? Body);

    private static async Task ReplayAsync(HttpContext context, Stored stored)
    {
        context.Response.StatusCode = stored.Status ?? StatusCodes.Status409Conflict;
        if (stored.ContentType is not null) context.Response.ContentType = stored.ContentType;
        if (stored.Location is not null) context.Response.Headers.Location = stored.Location;
        context.Response.Headers["Idempotent-Replayed"] = "true";
        LedgerMetrics.Replayed();
        if (stored.Body is { Length: > 0 } body) await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private async Task Problem(HttpContext context, int status, string detail, bool withErrors)
    {
        context.Response.StatusCode = status;
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Detail = detail };
        if (withErrors) problem.Extensions["errors"] = new Dictionary<string, string[]> { [Header] = [detail] };
        await problems.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }
}

public sealed record IdempotencyTable(string QualifiedName);

public static class IdempotencyRegistration
{
    public static IServiceCollection AddIdempotency(this IServiceCollection services, string schema) =>
        services.AddSingleton(new IdempotencyTable(Idempotency.DefineTable(schema).Identifier.QualifiedName));

    public static StoreOptions AddIdempotency(this StoreOptions options)
    {
        options.Storage.ExtendedSchemaObjects.Add(Idempotency.DefineTable(options.DatabaseSchemaName));
        return options;
    }
}
