/*
 * Milestones storefront widget: one customer's progress toward a shop's milestone rewards.
 *
 *   <script src="https://rewards.example.com/widget.js" defer></script>
 *   <milestones-progress endpoint="https://rewards.example.com/graphql" key="msk_storefront_…"
 *     customer="cust-1001" digest="…" lang="en"></milestones-progress>
 *
 * A plain custom element with its own Shadow DOM: no framework, no build step, nothing loaded
 * from anywhere but the `endpoint`. Live: it polls the widget view (2 s, slowing to 10 s while
 * nothing changes, paused while the tab is hidden, backing off on errors; `refresh()` asks at
 * once). Theming: the --milestones-* custom properties below, and ::part() names.
 */
(function () {
  "use strict";
  if (window.customElements.get("milestones-progress")) return;

  // Every GraphQL document the widget sends, by operation name. A storefront key may be
  // limited to exactly these; change them here and nowhere else.
  const DOCUMENTS = Object.freeze({
    MilestonesWidget: `query MilestonesWidget($customer: String!, $digest: String!) {
  widget(customerExternalId: $customer, customerDigest: $digest) {
    currency
    pointsBalance
    storeCreditBalance
    rewards(first: 50, status: [ISSUED, PENDING_CHOICE]) {
      nodes { id status code expiresAt choiceExpiresAt reward { ...RewardWords } rewardOptions { ...RewardWords } }
    }
    progress {
      rule { id name type }
      value
      nextThreshold
      remaining
      currentStep
      milestones {
        status
        milestone { id threshold stepMetric description reward { ...RewardWords } }
      }
    }
  }
}

fragment RewardWords on Reward {
  __typename
  ... on PointsReward { points }
  ... on StoreCreditReward { amount }
  ... on FixedDiscountReward { amount minimumSubtotal }
  ... on PercentageDiscountReward { percent minimumSubtotal }
  ... on FreeShippingReward { maxShippingAmount }
  ... on FreeGiftReward { productId productTitle quantity }
}`,
    ChooseReward: `mutation ChooseReward($reward: ID!, $option: Int!, $customer: String!, $digest: String!) {
  chooseReward(issuedRewardId: $reward, option: $option, customerExternalId: $customer, customerDigest: $digest) {
    issuedReward { id status }
    userErrors { code }
  }
}`,
  });

  const POLL = Object.freeze({ firstMs: 2000, growth: 1.5, quietMs: 10000, errorMs: 60000 });
  const COPIED_MS = 2000;

  // Every word the widget shows, per language. Plural forms follow Intl.PluralRules.
  const STRINGS = {
    en: {
      title: "Your rewards",
      loading: "Loading your rewards…",
      unavailable: "Your rewards can’t be shown right now.",
      unavailableHint: "Please try again in a little while.",
      retry: "Try again",
      noRules: "There are no rewards to work toward right now. Check back soon!",
      points: "Points",
      storeCredit: "Store credit",
      progress: "{value} of {target}",
      progressLabel: "{rule}: {progress}",
      toGo: "{amount} to go",
      allReached: "All milestones reached",
      reached: "Reached",
      next: "Next",
      locked: "Locked",
      milestones: "Milestones",
      step: "Step {step} of {steps}",
      journeyLabel: "{rule}: steps done",
      stepsDone: "{done} of {steps} steps done",
      journeyDone: "Journey complete",
      units: {
        ORDERS: { one: "{count} order", other: "{count} orders" },
        POINTS: { one: "{count} point", other: "{count} points" },
        REVIEWS: { one: "{count} review", other: "{count} reviews" },
        REFERRALS: { one: "{count} referral", other: "{count} referrals" },
        CYCLES: { one: "{count} billing cycle", other: "{count} billing cycles" },
        PERIODS: { one: "{count} period in a row", other: "{count} periods in a row" },
      },
      rewardPoints: { one: "{count} point", other: "{count} points" },
      rewardCredit: "{amount} store credit",
      rewardFixed: "{amount} off",
      rewardPercent: "{percent} off",
      rewardMinimum: "{reward} on orders of {amount} or more",
      rewardShipping: "Free shipping",
      rewardShippingUpTo: "Free shipping up to {amount}",
      rewardGift: "Free gift: {product}",
      giftQuantity: "{quantity} × {product}",
      codes: "Your codes",
      noCodes: "Reach a milestone to earn a code.",
      copy: "Copy",
      copyLabel: "Copy code {code}",
      copied: "Copied",
      copiedAnnounce: "Code {code} copied.",
      copyFailed: "Select the code to copy it.",
      expires: "Expires {date}",
      noExpiry: "No expiry",
      updated: "Your progress was updated.",
      choices: "Choose your reward",
      choiceOptions: "Rewards to choose from",
      choose: "Choose",
      chooseLabel: "Choose {reward}",
      chooseBy: "Choose by {date}",
      chosen: "Your reward {reward} was added.",
      chooseFailed: "Your choice couldn’t be saved. Please try again.",
    },
    fr: {
      title: "Vos récompenses",
      loading: "Chargement de vos récompenses…",
      unavailable: "Vos récompenses ne peuvent pas être affichées pour le moment.",
      unavailableHint: "Veuillez réessayer dans quelques instants.",
      retry: "Réessayer",
      noRules: "Aucune récompense à atteindre pour le moment. Revenez bientôt !",
      points: "Points",
      storeCredit: "Avoir",
      progress: "{value} sur {target}",
      progressLabel: "{rule} : {progress}",
      toGo: "encore {amount}",
      allReached: "Tous les paliers sont atteints",
      reached: "Atteint",
      next: "Prochain",
      locked: "Verrouillé",
      milestones: "Paliers",
      step: "Étape {step} sur {steps}",
      journeyLabel: "{rule} : étapes franchies",
      stepsDone: "{done} étapes franchies sur {steps}",
      journeyDone: "Parcours terminé",
      units: {
        ORDERS: { one: "{count} commande", other: "{count} commandes" },
        POINTS: { one: "{count} point", other: "{count} points" },
        REVIEWS: { one: "{count} avis", other: "{count} avis" },
        REFERRALS: { one: "{count} parrainage", other: "{count} parrainages" },
        CYCLES: { one: "{count} cycle de facturation", other: "{count} cycles de facturation" },
        PERIODS: { one: "{count} période d’affilée", other: "{count} périodes d’affilée" },
      },
      rewardPoints: { one: "{count} point", other: "{count} points" },
      rewardCredit: "{amount} d’avoir",
      rewardFixed: "{amount} de réduction",
      rewardPercent: "{percent} de réduction",
      rewardMinimum: "{reward} dès {amount} d’achat",
      rewardShipping: "Livraison offerte",
      rewardShippingUpTo: "Livraison offerte jusqu’à {amount}",
      rewardGift: "Cadeau offert : {product}",
      giftQuantity: "{quantity} × {product}",
      codes: "Vos codes",
      noCodes: "Atteignez un palier pour obtenir un code.",
      copy: "Copier",
      copyLabel: "Copier le code {code}",
      copied: "Copié",
      copiedAnnounce: "Code {code} copié.",
      copyFailed: "Sélectionnez le code pour le copier.",
      expires: "Expire le {date}",
      noExpiry: "Sans date d’expiration",
      updated: "Votre progression a été mise à jour.",
      choices: "Choisissez votre récompense",
      choiceOptions: "Récompenses au choix",
      choose: "Choisir",
      chooseLabel: "Choisir {reward}",
      chooseBy: "À choisir avant le {date}",
      chosen: "Votre récompense {reward} a été ajoutée.",
      chooseFailed: "Votre choix n’a pas pu être enregistré. Veuillez réessayer.",
    },
  };

  // What a rule (or a MIXED step) counts: "MONEY" is formatted as the shop's currency.
  const RULE_METRIC = {
    ORDERS_COUNT: "ORDERS",
    AMOUNT_SPENT: "MONEY",
    POINTS_EARNED: "POINTS",
    REVIEWS_COUNT: "REVIEWS",
    SUBSCRIPTION_CYCLES: "CYCLES",
    STREAK: "PERIODS", // consecutive weeks or months
  };
  const STEP_METRIC = {
    ORDERS: "ORDERS",
    AMOUNT_SPENT: "MONEY",
    POINTS_EARNED: "POINTS",
    REVIEWS: "REVIEWS",
    REFERRALS: "REFERRALS",
    SUBSCRIPTION_CYCLES: "CYCLES",
  };

  const STYLE = `
:host {
  display: block;
  container-type: inline-size;
  font-family: var(--milestones-font, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  font-size: var(--milestones-font-size, 1rem);
  line-height: 1.45;
  color: var(--milestones-color-text, #1f2328);
}
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
.card {
  background: var(--milestones-color-surface, #ffffff);
  border: 1px solid var(--milestones-color-border, #d0d7de);
  border-radius: var(--milestones-radius, 12px);
  padding: 1.25em;
}
h2 { font-size: 1.25em; margin: 0 0 0.75em; }
h3 { font-size: 1.05em; margin: 0 0 0.5em; }
p { margin: 0; }
.muted { color: var(--milestones-color-muted, #57606a); }
.balances { display: flex; flex-wrap: wrap; gap: 0.5em 2em; margin: 0 0 1em; }
.balances div { display: flex; flex-direction: column; }
.balances dt { font-size: 0.85em; color: var(--milestones-color-muted, #57606a); }
.balances dd { margin: 0; font-size: 1.3em; font-weight: 600; }
.rule, .codes {
  border-top: 1px solid var(--milestones-color-border, #d0d7de);
  padding: 1em 0 0.25em;
  margin-top: 1em;
}
.bar {
  height: var(--milestones-bar-height, 0.75em);
  background: var(--milestones-color-track, #e6e8eb);
  border-radius: 999px;
  overflow: hidden;
}
.fill {
  height: 100%;
  width: 0;
  background: var(--milestones-color-accent, #0b57d0);
  border-radius: inherit;
  transition: width 0.4s ease;
}
.figures { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 0 1em; margin: 0.35em 0 0.75em; }
.figure { font-weight: 600; }
ol, ul { list-style: none; margin: 0; padding: 0; }
.milestone, .step {
  display: grid;
  grid-template-columns: 6.5em 1fr;
  gap: 0.25em 0.75em;
  align-items: baseline;
  padding: 0.4em 0;
}
.badge {
  justify-self: start;
  font-size: 0.8em;
  font-weight: 600;
  padding: 0.1em 0.6em;
  border-radius: 999px;
  background: var(--milestones-color-locked-bg, #eef0f2);
  color: var(--milestones-color-muted, #57606a);
}
.REACHED .badge { background: var(--milestones-color-success, #1a7f37); color: var(--milestones-color-on-accent, #ffffff); }
.NEXT .badge { background: var(--milestones-color-accent, #0b57d0); color: var(--milestones-color-on-accent, #ffffff); }
.LOCKED .what { color: var(--milestones-color-muted, #57606a); }
.what strong { font-weight: 600; }
.step .bar { margin-top: 0.35em; }
.step .figures { margin-bottom: 0; }
.code {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 0.35em 0.75em;
  padding: 0.5em 0;
}
.code-words { flex: 1 1 12em; }
code {
  font-family: var(--milestones-font-mono, ui-monospace, SFMono-Regular, Menlo, monospace);
  font-size: 0.95em;
  padding: 0.15em 0.45em;
  border: 1px dashed var(--milestones-color-border, #d0d7de);
  border-radius: 6px;
  user-select: all;
}
button {
  font: inherit;
  font-size: 0.9em;
  font-weight: 600;
  cursor: pointer;
  padding: 0.35em 0.9em;
  border-radius: var(--milestones-button-radius, 999px);
  border: 1px solid var(--milestones-color-accent, #0b57d0);
  background: var(--milestones-color-accent, #0b57d0);
  color: var(--milestones-color-on-accent, #ffffff);
}
button:hover { filter: brightness(1.1); }
button:focus-visible {
  outline: 3px solid var(--milestones-color-focus, #1f2328);
  outline-offset: 2px;
}
.expiry { font-size: 0.85em; width: 100%; }
.choice { padding: 0.5em 0; }
.options { display: flex; flex-wrap: wrap; gap: 0.5em; margin-top: 0.35em; }
.option { display: flex; align-items: center; gap: 0.5em; }
.notice { text-align: center; padding: 1.5em 0.5em; }
.notice p + p, .notice p + button { margin-top: 0.5em; }
.visually-hidden {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
@container (max-width: 30em) {
  .card { padding: 1em; }
  .milestone, .step { grid-template-columns: 1fr; gap: 0.15em; }
  .balances { gap: 0.5em 1.5em; }
}
@media (prefers-reduced-motion: reduce) { .fill { transition: none; } }
`;

  let sheet = null; // one constructed stylesheet, shared by every widget on the page
  function adoptStyle(root) {
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function") {
      try {
        if (!sheet) {
          sheet = new CSSStyleSheet();
          sheet.replaceSync(STYLE);
        }
        root.adoptedStyleSheets = [sheet];
        return;
      } catch (error) {
        // an older browser without constructable stylesheets: fall through to <style>
      }
    }
    const style = document.createElement("style");
    style.textContent = STYLE;
    root.appendChild(style);
  }

  // A DOM node: h("p", { class: "x" }, "text", child). Text is always text, never HTML.
  function h(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (whole, name) =>
      Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole
    );
  }

  class Formatter {
    constructor(lang, currency) {
      const wanted = (lang || "en").trim() || "en";
      const base = wanted.toLowerCase().split(/[-_]/)[0];
      this.strings = STRINGS[base] || STRINGS.en;
      try {
        this.locale = Intl.getCanonicalLocales(wanted)[0];
      } catch (error) {
        this.locale = "en";
      }
      this.currency = currency;
      this.plurals = new Intl.PluralRules(this.locale);
      this.counts = new Intl.NumberFormat(this.locale, { maximumFractionDigits: 2 });
    }

    t(name, values) {
      return fill(this.strings[name], values || {});
    }

    plural(forms, count, values) {
      const form = forms[this.plurals.select(count)] || forms.other;
      return fill(form, Object.assign({ count: this.counts.format(count) }, values || {}));
    }

    money(value) {
      const amount = Number(value);
      const options = { style: "currency", currency: this.currency };
      if (Number.isInteger(amount)) options.maximumFractionDigits = options.minimumFractionDigits = 0;
      try {
        return new Intl.NumberFormat(this.locale, options).format(amount);
      } catch (error) {
        return `${this.counts.format(amount)} ${this.currency}`;
      }
    }

    percent(value) {
      return new Intl.NumberFormat(this.locale, { style: "percent", maximumFractionDigits: 2 })
        .format(Number(value) / 100);
    }

    date(iso) {
      return new Intl.DateTimeFormat(this.locale, { dateStyle: "medium" }).format(new Date(iso));
    }

    // "3 orders", "$240": an amount in a metric's unit.
    amount(metric, value) {
      if (metric === "MONEY") return this.money(value);
      return this.plural(this.strings.units[metric], Number(value));
    }

    // "3 of 5 orders", "$240 of $500": the target carries the unit.
    progress(metric, value, target) {
      const shown = metric === "MONEY" ? this.money(value) : this.counts.format(Number(value));
      return this.t("progress", { value: shown, target: this.amount(metric, target) });
    }

    reward(reward) {
      const s = this.strings;
      let words;
      switch (reward.__typename) {
        case "PointsReward":
          return this.plural(s.rewardPoints, reward.points);
        case "StoreCreditReward":
          return this.t("rewardCredit", { amount: this.money(reward.amount) });
        case "FixedDiscountReward":
          words = this.t("rewardFixed", { amount: this.money(reward.amount) });
          break;
        case "PercentageDiscountReward":
          words = this.t("rewardPercent", { percent: this.percent(reward.percent) });
          break;
        case "FreeShippingReward":
          return reward.maxShippingAmount
            ? this.t("rewardShippingUpTo", { amount: this.money(reward.maxShippingAmount) })
            : s.rewardShipping;
        case "FreeGiftReward": {
          const name = reward.productTitle || reward.productId;
          const product = reward.quantity > 1 ? this.t("giftQuantity", { quantity: reward.quantity, product: name }) : name;
          return this.t("rewardGift", { product });
        }
        default:
          return "";
      }
      if (reward.minimumSubtotal && Number(reward.minimumSubtotal) > 0) {
        return this.t("rewardMinimum", { reward: words, amount: this.money(reward.minimumSubtotal) });
      }
      return words;
    }
  }

  function progressbar(label, now, max, text, extra) {
    const value = Math.max(0, Math.min(Number(now), Number(max)));
    const share = Number(max) > 0 ? value / Number(max) : 1;
    const fillNode = h("div", { class: "fill", part: "fill" });
    fillNode.style.width = `${Math.round(share * 1000) / 10}%`;
    return h(
      "div",
      Object.assign(
        {
          class: "bar",
          part: "bar",
          role: "progressbar",
          "aria-label": label,
          "aria-valuemin": 0,
          "aria-valuemax": Number(max),
          "aria-valuenow": value,
          "aria-valuetext": text,
        },
        extra || {}
      ),
      fillNode
    );
  }

  class MilestonesProgress extends HTMLElement {
    static get observedAttributes() {
      return ["endpoint", "key", "customer", "digest", "lang"];
    }

    constructor() {
      super();
      this.root = this.attachShadow({ mode: "open" });
      adoptStyle(this.root);
      this.view = h("div", { class: "card", part: "card" });
      this.live = h("div", { class: "visually-hidden", role: "status" });
      this.root.append(this.view, this.live);
      this.data = null;
      this.dataText = null;
      this.state = "loading";
      this.delay = POLL.firstMs;
      this.timer = null;
      this.request = null;
      this.generation = 0;
      this.onVisibility = () => {
        if (!document.hidden && this.isConnected && this.polling) this.refresh();
      };
    }

    connectedCallback() {
      document.addEventListener("visibilitychange", this.onVisibility);
      window.addEventListener("focus", this.onVisibility);
      this.restart();
    }

    disconnectedCallback() {
      document.removeEventListener("visibilitychange", this.onVisibility);
      window.removeEventListener("focus", this.onVisibility);
      this.stop();
    }

    attributeChangedCallback(name, before, after) {
      if (!this.isConnected || before === after) return;
      if (name === "lang") {
        this.render();
        return;
      }
      // A store often sets several attributes in a row: reload once for all of them.
      if (!this.pendingRestart) {
        this.pendingRestart = true;
        queueMicrotask(() => {
          this.pendingRestart = false;
          this.restart();
        });
      }
    }

    /** Ask for the customer's progress now (for instance right after the store's checkout). */
    refresh() {
      this.delay = POLL.firstMs;
      this.polling = true;
      this.load();
    }

    get documents() {
      return DOCUMENTS;
    }

    format() {
      const lang = this.getAttribute("lang") || document.documentElement.lang || navigator.language;
      return new Formatter(lang, (this.data && this.data.currency) || "USD");
    }

    missingAttributes() {
      return ["endpoint", "key", "customer", "digest"].filter((name) => !this.getAttribute(name));
    }

    restart() {
      this.stop();
      this.data = null;
      this.dataText = null;
      const missing = this.missingAttributes();
      if (missing.length) {
        console.warn(`<milestones-progress> needs the attribute(s): ${missing.join(", ")}`);
        this.show("unavailable");
        return;
      }
      this.show("loading");
      this.refresh();
    }

    stop() {
      this.polling = false;
      this.generation += 1;
      clearTimeout(this.timer);
      this.timer = null;
      if (this.request) this.request.abort();
      this.request = null;
    }

    schedule(ms) {
      clearTimeout(this.timer);
      if (this.polling) this.timer = setTimeout(() => this.load(), ms);
    }

    async load() {
      clearTimeout(this.timer);
      if (document.hidden) return; // visibilitychange resumes
      const generation = ++this.generation;
      if (this.request) this.request.abort();
      const request = (this.request = new AbortController());
      let outcome;
      try {
        const response = await this.send("MilestonesWidget", {}, request.signal);
        outcome = await this.read(response);
      } catch (error) {
        if (error && error.name === "AbortError") return;
        outcome = { retry: true };
      }
      if (generation !== this.generation) return;
      this.request = null;
      this.settle(outcome);
    }

    // One of DOCUMENTS, for this customer (`customer` and `digest` are always its variables).
    send(operationName, variables, signal) {
      return fetch(this.getAttribute("endpoint"), {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        signal,
        headers: {
          "Content-Type": "application/json",
          Authorization: `Bearer ${this.getAttribute("key")}`,
        },
        body: JSON.stringify({
          operationName,
          query: DOCUMENTS[operationName],
          variables: Object.assign(
            { customer: this.getAttribute("customer"), digest: this.getAttribute("digest") },
            variables
          ),
        }),
      });
    }

    /** Choose option `option` (from 0) of the pending choice `rewardId`, then show the result. */
    async choose(rewardId, option, words) {
      const f = this.format();
      let done = false;
      try {
        const response = await this.send("ChooseReward", { reward: rewardId, option });
        const body = response.ok ? await response.json() : {};
        const payload = body.data && body.data.chooseReward;
        // Chosen already (in another tab, or by the sweep): the fresh view shows what it is.
        done = !!payload && (!payload.userErrors.length || payload.userErrors[0].code === "REWARD_ALREADY_CHOSEN");
      } catch (error) {
        done = false;
      }
      this.announce(done ? f.t("chosen", { reward: words }) : f.t("chooseFailed"));
      this.refresh();
    }

    async read(response) {
      if (response.status === 429) {
        const seconds = Number(response.headers.get("Retry-After"));
        return { retry: true, afterMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : null };
      }
      if (response.status >= 500) return { retry: true };
      if (!response.ok) return { final: true }; // a missing or revoked key: retrying will not help
      const body = await response.json();
      const errors = body.errors || [];
      if (errors.some((e) => e.extensions && (e.extensions.code === "BAD_USER_INPUT" || e.extensions.code === "NOT_FOUND"))) return { final: true };
      if (errors.length || !body.data || !body.data.widget) return { retry: true };
      return { data: body.data.widget };
    }

    settle(outcome) {
      if (outcome.data) {
        const text = JSON.stringify(outcome.data);
        const changed = text !== this.dataText;
        const first = this.dataText === null;
        if (changed) {
          this.data = outcome.data;
          this.dataText = text;
          this.show("ready");
          if (!first) this.announce(this.format().t("updated"));
        }
        this.delay = changed ? POLL.firstMs : Math.min(this.delay * POLL.growth, POLL.quietMs);
        this.schedule(this.delay);
        return;
      }
      if (outcome.final) {
        // A wrong digest or key says nothing about why, and shows nothing of the customer.
        this.stop();
        this.data = null;
        this.dataText = null;
        this.show("unavailable");
        return;
      }
      if (!this.data) this.show("unavailable", { retry: true });
      this.delay = outcome.afterMs || Math.min(Math.max(this.delay, POLL.firstMs) * 2, POLL.errorMs);
      this.schedule(this.delay);
    }

    show(state, options) {
      this.state = state;
      this.stateOptions = options || {};
      this.render();
    }

    announce(message) {
      this.live.textContent = "";
      // A fresh text node after a tick, so that screen readers announce a repeated message.
      setTimeout(() => {
        this.live.textContent = message;
      }, 50);
    }

    render() {
      const f = this.format();
      const focused = this.root.activeElement && this.root.activeElement.dataset.focusKey;
      let content;
      if (this.state === "loading") {
        content = h("p", { class: "notice muted", "aria-busy": "true" }, f.t("loading"));
      } else if (this.state === "unavailable") {
        content = h(
          "div",
          { class: "notice" },
          h("p", {}, f.t("unavailable")),
          h("p", { class: "muted" }, f.t("unavailableHint")),
          this.stateOptions.retry
            ? h("button", { type: "button", "data-focus-key": "retry", onclick: () => this.refresh() }, f.t("retry"))
            : null
        );
      } else {
        content = this.renderData(f, this.data);
      }
      this.view.setAttribute("aria-busy", this.state === "loading" ? "true" : "false");
      this.view.replaceChildren(h("h2", {}, f.t("title")), content);
      if (focused) {
        const again = this.root.querySelector(`[data-focus-key="${CSS.escape(focused)}"]`);
        if (again) again.focus();
      }
    }

    renderData(f, data) {
      const rules = data.progress.length
        ? data.progress.map((progress, index) =>
            progress.rule.type === "MIXED" ? this.renderJourney(f, progress, index) : this.renderRule(f, progress, index)
          )
        : [h("p", { class: "notice muted" }, f.t("noRules"))];
      const fragment = document.createDocumentFragment();
      fragment.append(
        h(
          "dl",
          { class: "balances" },
          h("div", {}, h("dt", {}, f.t("points")), h("dd", { "data-balance": "points" }, f.counts.format(data.pointsBalance))),
          h("div", {}, h("dt", {}, f.t("storeCredit")), h("dd", { "data-balance": "storeCredit" }, f.money(data.storeCreditBalance)))
        ),
        ...[this.renderChoices(f, data.rewards.nodes)].filter(Boolean),
        ...rules,
        this.renderCodes(f, data.rewards.nodes)
      );
      return fragment;
    }

    renderRule(f, progress, index) {
      const metric = RULE_METRIC[progress.rule.type] || "ORDERS";
      const milestones = progress.milestones;
      const last = milestones.length ? milestones[milestones.length - 1].milestone.threshold : progress.value;
      const target = progress.nextThreshold !== null ? progress.nextThreshold : last;
      const done = progress.nextThreshold === null;
      const figure = done ? f.amount(metric, progress.value) : f.progress(metric, progress.value, target);
      const headingId = `rule-${index}`;
      return h(
        "section",
        { class: "rule", part: "rule", "aria-labelledby": headingId, "data-rule": progress.rule.id },
        h("h3", { id: headingId }, progress.rule.name),
        progressbar(f.t("progressLabel", { rule: progress.rule.name, progress: figure }), progress.value, target, figure),
        h(
          "div",
          { class: "figures" },
          h("span", { class: "figure" }, figure),
          h("span", { class: "muted" }, done ? f.t("allReached") : f.t("toGo", { amount: f.amount(metric, progress.remaining) }))
        ),
        h(
          "ol",
          { class: "milestones", "aria-label": f.t("milestones") },
          milestones.map((state) =>
            h(
              "li",
              { class: `milestone ${state.status}`, "data-status": state.status },
              h("span", { class: "badge" }, f.t(state.status.toLowerCase())),
              h(
                "span",
                { class: "what" },
                h("strong", {}, f.amount(metric, state.milestone.threshold)),
                " — ",
                f.reward(state.milestone.reward),
                state.milestone.description ? h("span", { class: "muted" }, ` · ${state.milestone.description}`) : null
              )
            )
          )
        )
      );
    }

    renderJourney(f, progress, index) {
      const steps = progress.milestones;
      const current = Math.min(progress.currentStep || 0, steps.length);
      const done = current >= steps.length;
      const headingId = `rule-${index}`;
      const journeyText = done ? f.t("journeyDone") : f.t("stepsDone", { done: current, steps: steps.length });
      return h(
        "section",
        { class: "rule journey", part: "rule", "aria-labelledby": headingId, "data-rule": progress.rule.id },
        h("h3", { id: headingId }, progress.rule.name),
        progressbar(f.t("journeyLabel", { rule: progress.rule.name }), current, steps.length, journeyText, { "data-journey": "" }),
        h(
          "div",
          { class: "figures" },
          h("span", { class: "figure" }, done ? f.t("journeyDone") : f.t("step", { step: current + 1, steps: steps.length })),
          h("span", { class: "muted" }, journeyText)
        ),
        h(
          "ol",
          { class: "steps", "aria-label": progress.rule.name },
          steps.map((state, position) => {
            const metric = STEP_METRIC[state.milestone.stepMetric] || "ORDERS";
            const what = state.milestone.description || f.amount(metric, state.milestone.threshold);
            const isCurrent = position === current && !done;
            const stepFigure = isCurrent ? f.progress(metric, progress.value, progress.nextThreshold) : null;
            return h(
              "li",
              { class: `step ${state.status}`, "data-status": state.status, "aria-current": isCurrent ? "step" : null },
              h("span", { class: "badge" }, f.t(state.status.toLowerCase())),
              h(
                "div",
                { class: "what" },
                h("strong", {}, what),
                " — ",
                f.reward(state.milestone.reward),
                isCurrent
                  ? h(
                      "div",
                      { class: "current" },
                      progressbar(
                        f.t("progressLabel", { rule: what, progress: stepFigure }),
                        progress.value,
                        progress.nextThreshold,
                        stepFigure
                      ),
                      h(
                        "div",
                        { class: "figures" },
                        h("span", { class: "figure" }, stepFigure),
                        h("span", { class: "muted" }, f.t("toGo", { amount: f.amount(metric, progress.remaining) }))
                      )
                    )
                  : null
              )
            );
          })
        )
      );
    }

    renderChoices(f, rewards) {
      const pending = rewards.filter((reward) => reward.status === "PENDING_CHOICE" && reward.rewardOptions);
      if (!pending.length) return null;
      return h(
        "section",
        { class: "choices", part: "choices", "aria-labelledby": "choices-title" },
        h("h3", { id: "choices-title" }, f.t("choices")),
        h(
          "ul",
          { class: "choice-list" },
          pending.map((reward) =>
            h(
              "li",
              { class: "choice", "data-choice": reward.id },
              reward.choiceExpiresAt ? h("p", { class: "expiry muted" }, f.t("chooseBy", { date: f.date(reward.choiceExpiresAt) })) : null,
              h(
                "ul",
                { class: "options", "aria-label": f.t("choiceOptions") },
                reward.rewardOptions.map((option, index) => {
                  const words = f.reward(option);
                  return h(
                    "li",
                    { class: "option" },
                    h("span", {}, words),
                    h(
                      "button",
                      {
                        type: "button",
                        part: "choose-button",
                        "aria-label": f.t("chooseLabel", { reward: words }),
                        "data-focus-key": `choose-${reward.id}-${index}`,
                        "data-option": index,
                        onclick: (event) => {
                          event.currentTarget.disabled = true;
                          this.choose(reward.id, index, words);
                        },
                      },
                      f.t("choose")
                    )
                  );
                })
              )
            )
          )
        )
      );
    }

    renderCodes(f, rewards) {
      const codes = rewards.filter((reward) => reward.code);
      return h(
        "section",
        { class: "codes", "aria-labelledby": "codes-title" },
        h("h3", { id: "codes-title" }, f.t("codes")),
        codes.length
          ? h(
              "ul",
              { class: "code-list" },
              codes.map((reward) =>
                h(
                  "li",
                  { class: "code", part: "code" },
                  h("span", { class: "code-words" }, f.reward(reward.reward)),
                  h("code", {}, reward.code),
                  h(
                    "button",
                    {
                      type: "button",
                      part: "copy-button",
                      "aria-label": f.t("copyLabel", { code: reward.code }),
                      "data-focus-key": `copy-${reward.id}`,
                      "data-code": reward.code,
                      onclick: (event) => this.copy(reward.code, event.currentTarget),
                    },
                    f.t("copy")
                  ),
                  h("span", { class: "expiry muted" }, reward.expiresAt ? f.t("expires", { date: f.date(reward.expiresAt) }) : f.t("noExpiry"))
                )
              )
            )
          : h("p", { class: "muted" }, f.t("noCodes"))
      );
    }

    async copy(code, button) {
      const f = this.format();
      let copied = false;
      try {
        await navigator.clipboard.writeText(code);
        copied = true;
      } catch (error) {
        copied = this.copyBySelection(code);
      }
      this.announce(copied ? f.t("copiedAnnounce", { code }) : f.t("copyFailed"));
      if (!copied) return;
      button.textContent = f.t("copied");
      setTimeout(() => {
        if (button.isConnected) button.textContent = this.format().t("copy");
      }, COPIED_MS);
    }

    copyBySelection(code) {
      const area = h("textarea", { class: "visually-hidden", readonly: true, "aria-hidden": "true", tabindex: "-1" });
      area.value = code;
      this.root.append(area);
      area.select();
      let copied = false;
      try {
        copied = document.execCommand("copy");
      } catch (error) {
        copied = false;
      }
      area.remove();
      return copied;
    }
  }

  MilestonesProgress.documents = DOCUMENTS;
  window.customElements.define("milestones-progress", MilestonesProgress);
})();
