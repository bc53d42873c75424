// What a phone developer writes against the generated client (openapi.ts, made by
// openapi-typescript from schemas/openapi.json): it must compile under `tsc --strict` with no
// hand-written patch. Never run, only type-checked (npm run client:check).
import createClient from "openapi-fetch";
import type { components, paths } from "./openapi";

type Problem = components["schemas"]["Problem"];

const api = createClient<paths>({ baseUrl: "https://qiyou.example/" });

export async function logIn(phone: string, password: string): Promise<string> {
  const { data, error } = await api.POST("/api/v1/auth/login", { body: { phone, password } });
  if (error) {
    // The codes of this operation are a closed set: a typo here does not compile.
    switch (error.code) {
      case "invalid_credentials":
        return "wrong phone or password";
      case "login_throttled":
      case "rate_limited":
        return "too many tries, wait a moment";
      default:
        return error.detail;
    }
  }
  return data.accessToken;
}

export async function addChild(token: string, key: string): Promise<string | undefined> {
  const { data, error, response } = await api.POST("/api/v1/me/members", {
    headers: { Authorization: `Bearer ${token}`, "Idempotency-Key": key },
    body: { name: "小明", relation: "son", birthDate: "2018-05-01" },
  });
  if (error) {
    if (error.code === "member_limit_reached") return undefined;
    const fields: string[] = (error.errors ?? []).map((e) => `${e.field}: ${e.message}`);
    throw new Error(`${error.code} ${fields.join(", ")} (request ${error.requestId ?? "?"})`);
  }
  const replayed = response.headers.get("Idempotent-Replayed") === "true";
  return `${data.ageGroup}${replayed ? " (replayed)" : ""}`;
}

export async function homeScreen(): Promise<string[]> {
  const { data, error } = await api.GET("/api/v1/home", { headers: { "Accept-Language": "en" } });
  if (error) return [error.title];
  // Typed items: an event summary, not unknown.
  const events = data.upcomingEvents.map((e) => `${e.title} ${e.startsAt} (${e.seatsLeft})`);
  return [...data.programs.map((p) => p.name), ...events];
}

export async function readMessage(token: string, notificationId: string): Promise<Problem | null> {
  const { error } = await api.POST("/api/v1/me/notifications/{notificationId}/read", {
    params: { path: { notificationId } },
    headers: { Authorization: `Bearer ${token}` },
  });
  if (error && error.code === "notification_not_found") return error;
  return null;
}

export async function unreadMessages(token: string): Promise<number> {
  const { data } = await api.GET("/api/v1/me/notifications", {
    params: { query: { unreadOnly: true, limit: 50 } },
    headers: { Authorization: `Bearer ${token}` },
  });
  return data?.items.length ?? 0;
}
