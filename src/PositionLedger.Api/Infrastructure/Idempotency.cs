using System.Security.Cryptography;
using Npgsql;
using Weasel.Postgresql.Tables;

namespace PositionLedger.Infrastructure;

/// <summary>
/// <c>Idempotency-Key</c> on any POST: the first request with a key runs and its response is stored in
/// PostgreSQL; a repeat with the same key and body gets that response again and appends nothing; the
/// same key with another body is a 422. Keys are scoped per credential.
/// <para>
/// The key, what the request appends and the response commit in one transaction: every session the
/// request opens appends in it (see <see cref="RequestTransactionSessions"/>), and the key is stored with
/// the response just before the commit. So a write and its key are never apart, whatever fails, and one
/// commit does it all. Of concurrent repeats, the first to store the key wins; the others' inserts wait
/// for it, fail, roll back what they appended and replay its response. If the first failed, nothing of it
/// remains and a repeat runs.
/// </para>
/// </summary>
public sealed class Idempotency(RequestDelegate next, NpgsqlDataSource db, IdempotencyTable table, IProblemDetailsService problems)
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
            await Problem(context, StatusCodes.Status400BadRequest, $"The {Header} header must be 1 to {MaxKeyLength} printable characters.", withErrors: true);
            return;
        }

        var credential = context.User.Identity?.Name ?? "";
        var hash = await HashRequestAsync(context);
        var deadline = DateTimeOffset.UtcNow + WaitForFirst;
        while (true)
        {
            if (await FindAsync(credential, key, context.RequestAborted) is { } stored)
            {
                if (!stored.RequestHash.AsSpan().SequenceEqual(hash))
                    await Problem(context, StatusCodes.Status422UnprocessableEntity, $"This {Header} was used for a different request.", withErrors: true);
                else
                    await ReplayAsync(context, stored);
                return;
            }
            if (await TryRunAsync(context, credential, key, hash)) return;
            if (DateTimeOffset.UtcNow > deadline)
            {
                context.Response.Headers.RetryAfter = "1";
                await Problem(context, StatusCodes.Status409Conflict, $"A request with this {Header} is still being processed; retry shortly.", withErrors: false);
                return;
            }
        }
    }

    /// <summary>
    /// Runs the request in a transaction that ends by storing the key with the response; false (and nothing
    /// kept) if another request stored the key first, which the caller then replays.
    /// </summary>
    private async Task<bool> TryRunAsync(HttpContext context, string credential, string key, byte[] hash)
    {
        await using var connection = await db.OpenConnectionAsync(context.RequestAborted);
        await using var tx = await connection.BeginTransactionAsync(context.RequestAborted);
        var original = context.Response.Body;
        using var captured = new MemoryStream();
        context.Response.Body = captured;
        var headersBefore = context.Response.Headers.Keys.ToHashSet(StringComparer.OrdinalIgnoreCase);
        context.Items[TransactionItem] = tx;
        try
        {
            await next(context);
            context.Items.Remove(TransactionItem);
            // Server errors are not remembered (the client may retry them with the same key): nothing of
            // the request is kept. Anything else is stored and committed with what the request appended.
            if (context.Response.StatusCode < 500)
            {
                await using var remember = new NpgsqlCommand(
                    $"""
                    insert into {table.QualifiedName} (credential, key, request_hash, created, status, content_type, location, body)
                    values (@credential, @key, @hash, now(), @status, @type, @location, @body)
                    """, connection, tx);
                remember.Parameters.AddWithValue("credential", credential);
                remember.Parameters.AddWithValue("key", key);
                remember.Parameters.AddWithValue("hash", hash);
                remember.Parameters.AddWithValue("status", context.Response.StatusCode);
                remember.Parameters.AddWithValue("type", (object?)context.Response.ContentType ?? DBNull.Value);
                var location = context.Response.Headers.Location.ToString();
                remember.Parameters.AddWithValue("location", location.Length > 0 ? location : DBNull.Value);
                remember.Parameters.AddWithValue("body", captured.ToArray());
                try
                {
                    // A concurrent repeat that got here first holds the key: this insert waits for its commit,
                    // then fails, and this request's transaction (its appends included) rolls back.
                    await remember.ExecuteNonQueryAsync(CancellationToken.None);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
                {
                    // The response is the winner's, replayed by the caller: drop what this run set.
                    foreach (var header in context.Response.Headers.Keys.Where(h => !headersBefore.Contains(h)).ToList()) context.Response.Headers.Remove(header);
                    context.Response.StatusCode = StatusCodes.Status200OK;
                    return false;
                }
                await tx.CommitAsync(CancellationToken.None);
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
        return true;
    }

    private static async Task<byte[]> HashRequestAsync(HttpContext context)
    {
        context.Request.EnableBuffering();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes($"{context.Request.Method} {context.Request.Path}\n"));
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

    private sealed record Stored(byte[] RequestHash, DateTimeOffset Created, int? Status, string? ContentType, string? Location, byte[]? Body);

    private async Task<Stored?> FindAsync(string credential, string key, CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            $"select request_hash, created, status, content_type, location, body from {table.QualifiedName} where credential = $1 and key = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = credential });
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new Stored(
            reader.GetFieldValue<byte[]>(0),
            reader.GetFieldValue<DateTimeOffset>(1),
            reader.IsDBNull(2) ? null : reader.GetInt32(2),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetFieldValue<byte[]>(5));
    }

    private static async Task ReplayAsync(HttpContext context, Stored stored)
    {
        context.Response.StatusCode = stored.Status ?? StatusCodes.Status409Conflict;
        if (stored.ContentType is not null) context.Response.ContentType = stored.ContentType;
        if (stored.Location is not null) context.Response.Headers.Location = stored.Location;
        context.Response.Headers["Idempotent-Replayed"] = "true";
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

/// <param name="EventsTable">Marten's event table, where each appended event carries its idempotency key.</param>
public sealed record IdempotencyTable(string QualifiedName, string EventsTable);
