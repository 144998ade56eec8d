import type { ComponentChildren } from "preact";
import { useId } from "preact/hooks";

type FieldProps = {
  label: string;
  error?: string;
  hint?: string;
  /** Renders the control with the ids that tie it to its label, hint and error. */
  children: (ids: { id: string; describedBy?: string; invalid: boolean }) => ComponentChildren;
};

/** A labelled form control with its hint and, when the server or a check names it, its error. */
export function Field({ label, error, hint, children }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint && hintId, error && errorId].filter(Boolean).join(" ") || undefined;
  return (
    <div class={`field${error ? " field-invalid" : ""}`}>
      <label for={id}>{label}</label>
      {children({ id, describedBy, invalid: Boolean(error) })}
      {hint && (
        <p class="hint" id={hintId}>
          {hint}
        </p>
      )}
      {error && (
        <p class="error" id={errorId} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

type InputProps = {
  label: string;
  value: string;
  onInput: (value: string) => void;
  error?: string;
  hint?: string;
  type?: "text" | "email" | "password" | "number" | "datetime-local" | "url" | "search";
  required?: boolean;
  autoComplete?: string;
  placeholder?: string;
  min?: number;
  name?: string;
};

export function TextField(props: InputProps) {
  return (
    <Field label={props.label} error={props.error} hint={props.hint}>
      {({ id, describedBy, invalid }) => (
        <input
          id={id}
          name={props.name}
          // Preact's types narrow <input> by a literal type; every type named in InputProps is valid here.
          type={(props.type ?? "text") as "text"}
          value={props.value}
          required={props.required}
          autocomplete={props.autoComplete}
          placeholder={props.placeholder}
          min={props.min}
          aria-describedby={describedBy}
          aria-invalid={invalid}
          onInput={(event) => props.onInput(event.currentTarget.value)}
        />
      )}
    </Field>
  );
}

export function TextArea(props: Omit<InputProps, "type"> & { rows?: number }) {
  return (
    <Field label={props.label} error={props.error} hint={props.hint}>
      {({ id, describedBy, invalid }) => (
        <textarea
          id={id}
          name={props.name}
          rows={props.rows ?? 3}
          value={props.value}
          placeholder={props.placeholder}
          aria-describedby={describedBy}
          aria-invalid={invalid}
          onInput={(event) => props.onInput(event.currentTarget.value)}
        />
      )}
    </Field>
  );
}

export function SelectField<T extends string>(props: {
  label: string;
  value: T;
  options: readonly { value: T; label: string }[];
  onChange: (value: T) => void;
  error?: string;
  hint?: string;
  name?: string;
}) {
  return (
    <Field label={props.label} error={props.error} hint={props.hint}>
      {({ id, describedBy, invalid }) => (
        <select
          id={id}
          name={props.name}
          value={props.value}
          aria-describedby={describedBy}
          aria-invalid={invalid}
          onChange={(event) => props.onChange(event.currentTarget.value as T)}
        >
          {props.options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function Checkbox(props: {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  hint?: string;
  error?: string;
  name?: string;
}) {
  const id = useId();
  return (
    <div class={`field field-check${props.error ? " field-invalid" : ""}`}>
      <input
        id={id}
        type="checkbox"
        name={props.name}
        checked={props.checked}
        aria-describedby={props.hint || props.error ? `${id}-more` : undefined}
        onChange={(event) => props.onChange(event.currentTarget.checked)}
      />
      <label for={id}>{props.label}</label>
      {(props.hint || props.error) && (
        <p class={props.error ? "error" : "hint"} id={`${id}-more`} role={props.error ? "alert" : undefined}>
          {props.error ?? props.hint}
        </p>
      )}
    </div>
  );
}

/** A group of checkboxes with one legend: roles, event ids, call types. */
export function CheckboxGroup<T extends string>(props: {
  legend: string;
  options: readonly { value: T; label: string }[];
  selected: readonly T[];
  onChange: (selected: T[]) => void;
  error?: string;
  hint?: string;
}) {
  const id = useId();
  const toggle = (value: T, on: boolean) =>
    props.onChange(on ? [...props.selected, value] : props.selected.filter((item) => item !== value));
  return (
    <fieldset
      class={`field checkbox-group${props.error ? " field-invalid" : ""}`}
      aria-describedby={props.error ? `${id}-error` : props.hint ? `${id}-hint` : undefined}
    >
      <legend>{props.legend}</legend>
      {props.options.map((option) => (
        <label key={option.value} class="check">
          <input
            type="checkbox"
            value={option.value}
            checked={props.selected.includes(option.value)}
            onChange={(event) => toggle(option.value, event.currentTarget.checked)}
          />
          {option.label}
        </label>
      ))}
      {props.hint && (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="error" id={`${id}-error`} role="alert">
          {props.error}
        </p>
      )}
    </fieldset>
  );
}
