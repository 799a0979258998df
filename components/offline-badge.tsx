/** Says, on every page, that tokens come from the local emulator and not from Entra ID. */
export function OfflineBadge() {
  return (
    <span className="badge" title="Tokens come from the bundled identity emulator, not Microsoft Entra ID">
      offline tenant
    </span>
  );
}
