using PositionLedger.Tests.Infrastructure;

namespace PositionLedger.Tests.Security;

public sealed class when_any_response_is_sent(AppFixture app) : ApiTest(app)
{
    [Theory]
    [InlineData("/")]
    [InlineData("/app.js")]
    [InlineData("/api/parties")]
    [InlineData("/api/parties/atlantis/stance")]
    public async Task it_carries_the_security_headers_with_a_policy_that_allows_no_inline_script_or_style(string url)
    {
        var response = await App.Anonymous.GetAsync(url);

        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        policy.ShouldContain("default-src 'self'");
        policy.ShouldContain("script-src 'self';");
        policy.ShouldContain("style-src 'self';");
        policy.ShouldContain("frame-ancestors 'none'");
        policy.ShouldNotContain("unsafe");
        response.Headers.GetValues("X-Content-Type-Options").Single().ShouldBe("nosniff");
        response.Headers.GetValues("Referrer-Policy").Single().ShouldBe("no-referrer");
    }

    [Fact]
    public async Task the_api_reference_alone_may_boot_from_its_inline_script_and_still_cannot_be_framed()
    {
        var response = await App.Anonymous.GetAsync("/docs");

        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        policy.ShouldContain("script-src 'self' 'unsafe-inline'");
        policy.ShouldContain("frame-ancestors 'none'");
    }
}
