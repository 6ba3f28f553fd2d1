using System.Collections.Concurrent;
using Marten;

namespace PositionLedger.Sources;

/// <summary>
/// The archived sources that anchors are placed in, kept in memory once read: a source is registered once and never
/// edited, so a copy never goes stale, and an append with evidence costs no extra round trip. Bounded: past
/// <see cref="MaxCachedChars"/> of text the copies are dropped and read again as needed. (A database emptied under a
/// running app, as the tests do between cases, needs <see cref="Forget"/>.)
/// </summary>
public sealed class SourceTexts
{
    public const long MaxCachedChars = 256L * 1024 * 1024;

    private readonly ConcurrentDictionary<string, ArchivedSource> _sources = new(StringComparer.Ordinal);
    private long _chars;

    /// <summary>The sources of these ids that are registered, by id.</summary>
    public async Task<IReadOnlyDictionary<string, ArchivedSource>> LoadAsync(
        IQuerySession session, IEnumerable<string> ids, CancellationToken ct)
    {
        var found = new Dictionary<string, ArchivedSource>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            if (_sources.TryGetValue(id, out var known)) found[id] = known;
            else missing.Add(id);
        }
        if (missing.Count == 0) return found;
        foreach (var source in await session.LoadManyAsync<ArchivedSource>(ct, missing))
        {
            found[source.Id] = source;
            if (Interlocked.Add(ref _chars, source.Text.Length) > MaxCachedChars) Forget();
            _sources[source.Id] = source;
        }
        return found;
    }

    public void Forget()
    {
        _sources.Clear();
        Interlocked.Exchange(ref _chars, 0);
    }
}
