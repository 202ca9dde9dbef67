using System.Globalization;

namespace Builder.Engine.Wire;

/// <summary>The credentials a USER value resolves to in one rootfs.</summary>
internal sealed record ResolvedUser(uint Uid, uint Gid, uint[] AdditionalGids, string Home);

/// <summary>
/// Resolves USER (<c>name</c>, <c>uid</c>, <c>name:group</c>, <c>uid:gid</c>...) against the
/// rootfs's own /etc/passwd and /etc/group, with the rules of runc's libcontainer/user that
/// Docker and BuildKit use: a numeric id absent from /etc/passwd is allowed (gid 0, HOME "/"),
/// an unknown name is an error, and supplementary groups come from /etc/group membership only
/// when no group was given explicitly.
/// </summary>
internal static class UserResolver
{
    /// <param name="user">The USER value; empty means root.</param>
    /// <param name="passwd">Contents of /etc/passwd, or null when the file is absent.</param>
    /// <param name="group">Contents of /etc/group, or null when the file is absent.</param>
    public static ResolvedUser Resolve(string user, string? passwd, string? group)
    {
        var colon = user.IndexOf(':');
        var userPart = colon < 0 ? user : user[..colon];
        var groupPart = colon < 0 ? "" : user[(colon + 1)..];
        if (userPart.Length == 0)
        {
            userPart = "0";
        }
        var users = ParseLines(passwd, 7);
        var groups = ParseLines(group, 4);

        string? name = null;
        uint uid, gid;
        var home = "/";
        var numericUser = TryParseId(userPart, out var numericUid);
        var entry = users.FirstOrDefault(u => numericUser ? TryParseId(u[2], out var id) && id == numericUid : u[0] == userPart);
        if (entry is not null && TryParseId(entry[2], out uid) && TryParseId(entry[3], out gid))
        {
            name = entry[0];
            home = entry[5].Length > 0 ? entry[5] : "/";
        }
        else if (numericUser)
        {
            uid = numericUid;
            gid = 0;
        }
        else
        {
            throw new UnknownUserException($"unable to find user {userPart}: no matching entries in passwd file");
        }

        var additional = new List<uint>();
        if (groupPart.Length > 0)
        {
            if (TryParseId(groupPart, out var numericGid))
            {
                gid = numericGid;
            }
            else
            {
                var g = groups.FirstOrDefault(g => g[0] == groupPart)
                    ?? throw new UnknownUserException($"unable to find group {groupPart}: no matching entries in group file");
                if (!TryParseId(g[2], out gid))
                {
                    throw new UnknownUserException($"group {groupPart} has an invalid gid in the group file");
                }
            }
        }
        else if (name is not null)
        {
            foreach (var g in groups)
            {
                if (g[3].Split(',').Contains(name) && TryParseId(g[2], out var member) && !additional.Contains(member))
                {
                    additional.Add(member);
                }
            }
        }
        return new ResolvedUser(uid, gid, additional.ToArray(), home);
    }

    private static bool TryParseId(string s, out uint id) =>
        uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out id);

    private static List<string[]> ParseLines(string? content, int fields)
    {
        var result = new List<string[]>();
        if (content is null)
        {
            return result;
        }
        foreach (var raw in content.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var parts = line.Split(':');
            if (parts.Length < fields)
            {
                Array.Resize(ref parts, fields);
                for (var i = 0; i < fields; i++)
                {
                    parts[i] ??= "";
                }
            }
            result.Add(parts);
        }
        return result;
    }
}

/// <summary>USER names a user or group that the rootfs does not define.</summary>
internal sealed class UnknownUserException(string message) : Exception(message);
