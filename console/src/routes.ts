// The console's pages. A new page is one more entry here: its path, its place in the navigation and
// the role it needs.
import type { FunctionComponent } from "preact";
import type { Role, User } from "./api/types";
import { ApiKeysPage } from "./pages/api-keys";
import { FunctionDetailPage } from "./pages/function-detail";
import { FunctionsPage } from "./pages/functions";
import { StatisticsPage } from "./pages/statistics";
import { UsersPage } from "./pages/users";
import { WebhooksPage } from "./pages/webhooks";
import { hasRole } from "./session";

export type PageProps = { user: User; params: Record<string, string> };

export type Route = {
  path: string;
  title: string;
  /** Shown in the navigation under this label; pages without one are reached by links. */
  nav?: string;
  role: Role;
  page: FunctionComponent<PageProps>;
};

export const ROUTES: readonly Route[] = [
  { path: "/keys", title: "API keys", nav: "API keys", role: "USER_ACCOUNT_MANAGEMENT", page: ApiKeysPage },
  {
    path: "/functions",
    title: "Functions",
    nav: "Functions",
    role: "USER_ACCOUNT_MANAGEMENT",
    page: FunctionsPage,
  },
  { path: "/functions/:id", title: "Function", role: "USER_ACCOUNT_MANAGEMENT", page: FunctionDetailPage },
  {
    path: "/statistics",
    title: "Statistics",
    nav: "Statistics",
    role: "USER_ACCOUNT_MANAGEMENT",
    page: StatisticsPage,
  },
  // Webhooks are event data on the server: DATA_MANAGEMENT (or ADMIN, who also sets the notification URL).
  { path: "/webhooks", title: "Webhooks", nav: "Webhooks", role: "DATA_MANAGEMENT", page: WebhooksPage },
  { path: "/users", title: "Users", nav: "Users", role: "USER_ACCOUNT_MANAGEMENT", page: UsersPage },
];

export const allowedRoutes = (user: User): Route[] => ROUTES.filter((route) => hasRole(user, route.role));
