/** Sign-out changes state, so it is a POST (same-origin checked by /auth/logout), never a link. */
export function SignOutButton({ className = "button secondary" }: { className?: string }) {
  return (
    <form method="post" action="/auth/logout" style={{ display: "inline" }}>
      <button type="submit" className={className}>
        Sign out
      </button>
    </form>
  );
}
