using Marten.Events.Projections;

namespace PositionLedger.Sources;

/// <summary>How the stored text came to be in its language: from which language, by machine or by a person.</summary>
public sealed record Translation(string From, string Method, string? By);

/// <summary>
/// A document archived as statements' evidence. Registered once and never edited: a fixed text is a new source,
/// so the positions of the anchors in it stay valid for ever. <see cref="Sha256"/> is of the text's UTF-8 bytes.
/// </summary>
public sealed record SourceRegistered(
    string SourceId, string Title, string Outlet, string? Url, DateTimeOffset? PublishedAt, string Language, string Text, string Sha256,
    Translation? Translation);

/// <summary>The read model behind GET /api/sources: one document per source, text included.</summary>
public sealed record ArchivedSource(
    string Id, string Title, string Outlet, string? Url, DateTimeOffset? PublishedAt, string Language, string Text, string Sha256,
    Translation? Translation)
{
    /// <summary>Each source has its own stream, so registering an id twice collides on the stream key.</summary>
    public static string StreamKey(string sourceId) => $"source:{sourceId}";

    public static ArchivedSource From(SourceRegistered e) =>
        new(e.SourceId, e.Title, e.Outlet, e.Url, e.PublishedAt, e.Language, e.Text, e.Sha256, e.Translation);
}

public sealed partial class ArchivedSourceProjection : EventProjection
{
    public ArchivedSource Create(SourceRegistered e) => ArchivedSource.From(e);
}
