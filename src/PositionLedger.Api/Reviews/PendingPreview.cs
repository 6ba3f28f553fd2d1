using JasperFx.Events;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using PositionLedger.Infrastructure;
using PositionLedger.Revisions;
using PositionLedger.Statements;

namespace PositionLedger.Reviews;

/// <summary>The <c>view</c> parameter of the reads that may preview pending proposals.</summary>
public sealed class PendingViewAttribute() : OneOfParameterAttribute(PendingPreview.Parameter,
    "published (the default): what readers see. pending: as if every pending proposal were approved now; needs an editor or "
    + "verifier key, and is never cached.", [PendingPreview.Published, PendingPreview.Pending]);

/// <summary>
/// <c>view=pending</c>: an editor's or verifier's preview of a read as if every pending proposal were approved now.
/// <para>
/// The preview is the read itself, run in a transaction that is never committed: the pending changes are written to
/// the revision table there by the projection's own code, as their approvals would write them, and the read's queries
/// run on that connection. So the preview obeys exactly the stance rules, and nothing of it outlives the request.
/// Proposals are taken oldest first; one that its approval would refuse (stale, already applied, against a retracted
/// statement) is left out, as its approval would be.
/// </para>
/// </summary>
public sealed class PendingPreview(IDocumentStore store, StanceDataSource db, RevisionTable table, ReadReplica replica, TimeProvider clock)
{
    public const string Parameter = "view";
    public const string Published = "published", Pending = "pending";

    private readonly StatementRevisionsProjection _revisions = new(table.QualifiedName, table.ResolvedClaims);
    private readonly string _events = $"{store.Options.Events.DatabaseSchemaName}.mt_events";

    /// <summary>Reads <c>view</c>: published (the default) or pending, which needs an editor or verifier key.</summary>
    public static ProblemDetails TryRead(string? view, HttpContext context, out bool preview)
    {
        preview = view == Pending;
        if (view is null or Published) return Wolverine.Http.WolverineContinue.NoProblems;
        if (!preview) return Problems.Invalid(Parameter, $"'{Parameter}' must be {Published} or {Pending}.");
        if (context.User.IsInRole(Roles.Editor) || context.User.IsInRole(Roles.Verifier))
        {
            // A preview is one person's view of the moment: no cache keeps it.
            context.Response.Headers.CacheControl = "private, no-store";
            return Wolverine.Http.WolverineContinue.NoProblems;
        }
        var anonymous = context.User.Identity?.IsAuthenticated != true;
        if (anonymous) context.Response.Headers.WWWAuthenticate = ApiKeyAuthentication.SchemeName;
        return new HttpValidationProblemDetails(new Dictionary<string, string[]>
        {
            [Parameter] = [$"'{Parameter}={Pending}' previews unpublished changes: it needs an editor or verifier key."],
        })
        {
            Status = anonymous ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden,
            Title = anonymous ? "Unauthorized" : "Forbidden",
        };
    }

    /// <summary>
    /// The connection a read of the ledger runs on: the preview's when asked for; else a replica's that holds knownAt;
    /// else none, and the read takes one from the pool.
    /// </summary>
    public async Task<NpgsqlConnection?> OpenForAsync(HttpContext context, bool preview, DateTimeOffset knownAt, CancellationToken ct) =>
        preview ? await OpenAsync(context, knownAt, ct) : await replica.OpenForAsync(context, knownAt, ct);

    /// <summary>
    /// A connection to the primary with every pending proposal applied in an open transaction, which is rolled back
    /// when the connection is disposed. The approvals are dated now: the read's own knownAt when the request left it to
    /// default to now, else the clock (so a knownAt in the past previews nothing, as it would see no approval).
    /// </summary>
    public async Task<NpgsqlConnection> OpenAsync(HttpContext context, DateTimeOffset knownAt, CancellationToken ct)
    {
        var approvedAt = context.Request.Query.ContainsKey("knownAt") ? clock.GetUtcNow() : knownAt;
        context.Response.Headers[ReadReplica.AnsweredByHeader] = "primary";
        var connection = await db.Value.OpenConnectionAsync(ct);
        try
        {
            var transaction = await connection.BeginTransactionAsync(ct);
            await using var session = store.LightweightSession(Marten.Services.SessionOptions.ForTransaction(transaction));
            var events = await ApprovalsAsync(session, connection, approvedAt, ct);
            if (events.Count == 0) return connection;
            await _revisions.ApplyAsync(session, events, ct);
            await session.SaveChangesAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>The statement events the pending proposals' approvals would append now, in the order they were proposed.</summary>
    private async Task<List<IEvent>> ApprovalsAsync(
        IDocumentSession session, NpgsqlConnection connection, DateTimeOffset approvedAt, CancellationToken ct)
    {
        var pending = await session.Query<Proposal>().Where(p => p.Status == ProposalStatuses.Pending)
            .OrderBy(p => p.ProposedAt).ToListAsync(ct);
        var events = new List<IEvent>(pending.Count);
        if (pending.Count == 0) return events;
        long sequence;
        // After every real event, so that ties fall to the previewed changes as they would after real approvals.
        await using (var last = new NpgsqlCommand($"select coalesce(max(seq_id), 0) from {_events}", connection))
        {
            sequence = (long)(await last.ExecuteScalarAsync(ct))!;
        }
        // Every touched statement as it stands, in one round trip.
        var batch = session.CreateBatchQuery();
        var fetched = pending.Select(p => p.Change.StatementId).Distinct()
            .ToDictionary(id => id, id => batch.Events.FetchLatest<Statement>(id.ToString()));
        await batch.Execute(ct);
        var statements = new Dictionary<Guid, (long Version, bool Retracted)?>();
        foreach (var proposal in pending)
        {
            var change = proposal.Change;
            if (!statements.TryGetValue(change.StatementId, out var state))
            {
                var current = await fetched[change.StatementId];
                state = current is null ? null : (current.Version, current.Retracted);
            }
            if (ReviewRules.CheckCurrent(change, state?.Version, state?.Retracted ?? false).IsProblem()) continue;
            var version = (state?.Version ?? 0) + 1;
            statements[change.StatementId] = (version, change.Retracted is not null);
            events.Add(new Event<object>(ReviewRules.ChangeOf(change))
            {
                Version = version, Sequence = ++sequence, Timestamp = approvedAt, StreamKey = change.StatementId.ToString(),
            });
        }
        return events;
    }
}
