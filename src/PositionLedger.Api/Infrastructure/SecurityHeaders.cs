namespace PositionLedger.Infrastructure;

/// <summary>
/// Security headers on every response, from NetEscapades.AspNetCore.SecurityHeaders (a small, well-kept
/// library that knows each header's current best form, so we do not hand-write them). The page is plain
/// ES modules and a stylesheet of its own, so it runs under a policy with no inline script or style at
/// all; only the API reference (Scalar, at /docs) boots from an inline script and gets a policy of its own.
/// </summary>
public static class SecurityHeaders
{
    public const string DocsPolicy = "docs";

    public static IServiceCollection AddPositionLedgerSecurityHeaders(this IServiceCollection services)
    {
        services.AddSecurityHeaderPolicies()
            .SetDefaultPolicy(policy => policy
                .AddDefaultSecurityHeaders()
                .AddReferrerPolicyNoReferrer()
                .AddContentSecurityPolicy(csp =>
                {
                    csp.AddDefaultSrc().Self();
                    csp.AddScriptSrc().Self();
                    csp.AddStyleSrc().Self();
                    csp.AddImgSrc().Self().Data();
                    csp.AddConnectSrc().Self();
                    csp.AddObjectSrc().None();
                    csp.AddBaseUri().Self();
                    csp.AddFormAction().Self();
                    csp.AddFrameAncestors().None();
                }))
            .AddPolicy(DocsPolicy, policy => policy
                .AddDefaultSecurityHeaders()
                .AddReferrerPolicyNoReferrer()
                .AddContentSecurityPolicy(csp =>
                {
                    csp.AddDefaultSrc().Self();
                    csp.AddScriptSrc().Self().UnsafeInline();
                    csp.AddStyleSrc().Self().UnsafeInline();
                    csp.AddImgSrc().Self().Data();
                    csp.AddFontSrc().Self().Data();
                    csp.AddConnectSrc().Self();
                    csp.AddObjectSrc().None();
                    csp.AddBaseUri().Self();
                    csp.AddFrameAncestors().None();
                }));
        return services;
    }
}
