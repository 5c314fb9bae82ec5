import "@saleor/macaw-ui/style";
import { ThemeProvider } from "@saleor/macaw-ui";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { initialTheme } from "./bridge";
import "./styles.css";

createRoot(document.getElementById("root")!).render(
  <ThemeProvider defaultTheme={initialTheme === "dark" ? "defaultDark" : "defaultLight"}>
    <App />
  </ThemeProvider>,
);
