import Link from "next/link";
import { HomeGreeting } from "@/components/spa/home-greeting";

const scenarios = [
  {
    title: "Single-page app + API",
    body: "Sign in with MSAL React, call this app's API with a bearer token, and watch the API call Microsoft Graph and Azure Resource Manager On-Behalf-Of you.",
    href: "/profile",
    link: "Open your profile",
  },
  {
    title: "Server-rendered web app",
    body: "Sign in on the server with the authorization code flow. Tokens never reach the browser: an encrypted cookie only says who you are.",
    href: "/web",
    link: "Open the web app",
  },
  {
    title: "Command line",
    body: "Device code flow for machines without a browser, and the legacy username/password flow for migrations.",
    href: "#cli",
    link: "How to run them",
  },
];

export default function HomePage() {
  return (
    <main id="main">
      <h1>Microsoft identity platform on Next.js</h1>
      <p>
        A reference app that signs users in, calls its own API, and has that API call Microsoft Graph and Azure
        Resource Manager On-Behalf-Of the user.
      </p>
      <ol className="flow" aria-label="How a request flows">
        <li>Browser</li>
        <li>This app&apos;s API</li>
        <li>Entra ID (On-Behalf-Of)</li>
        <li>Microsoft Graph / Azure Resource Manager</li>
      </ol>
      <HomeGreeting />
      <h2>Scenarios</h2>
      <ul className="cards">
        {scenarios.map((s) => (
          <li className="card" key={s.title}>
            <h3>{s.title}</h3>
            <p>{s.body}</p>
            <Link href={s.href}>{s.link}</Link>
          </li>
        ))}
      </ul>
      <h2 id="cli">Command line</h2>
      <p>
        <code>npm run cli -- device-code</code> signs in with a code you enter in a browser and prints your profile
        and manager. <code>npm run cli -- users --username &lt;upn&gt;</code> uses the legacy username/password flow
        and lists the directory&apos;s users. Both use the identity emulator unless <code>.env.local</code> names a
        tenant.
      </p>
    </main>
  );
}
