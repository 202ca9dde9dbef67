using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Builder.Oci.Registry.Transport;

/// <summary>
/// Decides whether a registry's TLS certificate is trusted: the system CAs, plus the PEM files of a
/// CA directory (<c>*.crt</c>/<c>*.pem</c> directly in it trust any host; files in a sub-folder named
/// <c>host</c> or <c>host:port</c>, as in Docker's certs.d, trust that host only). Insecure hosts skip
/// verification. Records which hosts presented a certificate at all, so a plain-HTTP server can be
/// told apart from a TLS server with an untrusted certificate.
/// </summary>
internal sealed class RegistryTrust
{
    private readonly string? _caDirectory;
    private readonly Func<string, bool> _isInsecure;
    private readonly ConcurrentDictionary<string, X509Certificate2Collection> _roots = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, bool> _presentedCertificate = new(StringComparer.OrdinalIgnoreCase);

    public RegistryTrust(string? caDirectory, Func<string, bool> isInsecure)
    {
        _caDirectory = caDirectory;
        _isInsecure = isInsecure ?? throw new ArgumentNullException(nameof(isInsecure));
    }

    /// <summary>True once <paramref name="authority"/> has answered a TLS handshake with a certificate.</summary>
    public bool PresentedCertificate(string authority) => _presentedCertificate.ContainsKey(authority);

    /// <summary>The certificate check for connections to <paramref name="authority"/> (host:port).</summary>
    public RemoteCertificateValidationCallback CallbackFor(string authority) =>
        (_, certificate, chain, errors) => Validate(authority, certificate, chain, errors);

    private bool Validate(string authority, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return false;
        }
        _presentedCertificate[authority] = true;
        if (errors == SslPolicyErrors.None || _isInsecure(authority))
        {
            return true;
        }
        if (errors != SslPolicyErrors.RemoteCertificateChainErrors)
        {
            return false; // a name mismatch is never excused by an extra CA
        }
        var roots = RootsFor(authority);
        if (roots.Count == 0)
        {
            return false;
        }
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(roots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        return custom.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }

    private X509Certificate2Collection RootsFor(string authority) => _roots.GetOrAdd(authority, a =>
    {
        var roots = new X509Certificate2Collection();
        if (_caDirectory is null || !Directory.Exists(_caDirectory))
        {
            return roots;
        }
        AddPemFiles(roots, _caDirectory);
        AddPemFiles(roots, Path.Combine(_caDirectory, a));
        var colon = a.LastIndexOf(':');
        if (colon > 0 && !a.EndsWith(']'))
        {
            AddPemFiles(roots, Path.Combine(_caDirectory, a[..colon]));
        }
        return roots;
    });

    private static void AddPemFiles(X509Certificate2Collection roots, string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }
        foreach (var file in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
        {
            if (file.EndsWith(".crt", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".pem", StringComparison.OrdinalIgnoreCase))
            {
                roots.ImportFromPemFile(file);
            }
        }
    }
}
